// Example handler in Rust (sdk/rust) for wasm32-wasi, built as a reactor with the preview1 adapter:
// println! goes to the server's log, std::env::var reads the route's environment. Answers
// "GREETING, world!" and the request path; GREETING is $GREETING, or "Hello".
#[path = "../../sdk/rust/witserve.rs"]
mod witserve;
use witserve::{Request, Response};

fn handle(req: &Request) -> Response {
    let greeting = std::env::var("GREETING").unwrap_or_else(|_| "Hello".to_string());
    println!("hello-rust-wasi: {} {}", req.method, req.path); // line-buffered: out at the newline
    Response::new(200)
        .header("content-type", "text/plain; charset=utf-8")
        .header("x-witserve-example", "hello-rust-wasi")
        .body(format!("{}, world!\npath: {}\n", greeting, req.path))
}
