// Example handler in Rust (sdk/rust): answers every request with "Hello, world!".
#[path = "../../sdk/rust/witserve.rs"]
mod witserve;
use witserve::{Request, Response};

fn handle(_req: &Request) -> Response {
    Response::new(200)
        .header("content-type", "text/plain; charset=utf-8")
        .header("x-witserve-example", "hello-rust")
        .body("Hello, world!\n")
}
