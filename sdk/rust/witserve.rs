//! witserve guest SDK for Rust: write an HTTP handler for witserve as one function.
//!
//! Include this file as a module and define `fn handle(req: &Request) -> Response` at the crate
//! root; this module exports it as the world `witserve:handler/handler` (wit/handler.wit) wants:
//!
//! ```ignore
//! #[path = "../../sdk/rust/witserve.rs"]
//! mod witserve;
//! use witserve::{Request, Response};
//!
//! fn handle(_req: &Request) -> Response {
//!     Response::new(200).header("content-type", "text/plain").body("Hello, world!\n")
//! }
//! ```
//!
//! Build with Debian's rustc 1.63, no crates (see sdk/README.md):
//! `/usr/bin/rustc --edition 2021 --crate-type cdylib --target wasm32-unknown-unknown
//! -C opt-level=2 -C panic=abort handler.rs`, then `jco embed --wit wit -n handler` and `jco new`.
//! The same file builds for `--target wasm32-wasi` as a reactor, for handlers that use `println!`,
//! `std::env` or `std::fs` (sdk/README.md, "With WASI"; examples/hello-rust-wasi).
//! Panics abort, i.e. trap: the client gets a 500. The host's `log` and `get-config` are imported
//! only when [`log`] or [`get_config`] is called.
//!
//! The glue (no bindings generator): the core export "handle" takes the request record flattened to
//! 8 i32 (method, path, headers, body as pointer + length) and returns a pointer to the response
//! (status u16 @0, headers @4, body @12; size 20, align 4) in a static area, freed by
//! "cabi_post_handle"; "cabi_realloc" allocates through Rust's global allocator with the
//! canonical-ABI layout, so what the host lowers is taken over as `String`/`Vec` without copying.
//! Empty strings and lists are never freed (jco passes the dangling pointer 1 for them).
#![allow(dead_code)]

use std::alloc::{alloc, dealloc, realloc, Layout};
use std::ptr;

/// An HTTP request. `path` is the path and query as received ("/users/7?full=1"); `headers` are in
/// the order received and include the route parameters as `x-witserve-param-NAME`.
#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    /// The value of the first header called `name` (ASCII case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.find(b"", name)
    }

    /// The route parameter `name` (the header x-witserve-param-NAME): for the route /users/:id,
    /// `req.param("id")`.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.find(b"x-witserve-param-", name)
    }

    /// The body, if it is valid UTF-8.
    pub fn text(&self) -> Option<&str> {
        std::str::from_utf8(&self.body).ok()
    }

    fn find(&self, prefix: &[u8], name: &str) -> Option<&str> {
        let matches = |n: &[u8]| {
            n.len() == prefix.len() + name.len()
                && n[..prefix.len()].eq_ignore_ascii_case(prefix)
                && n[prefix.len()..].eq_ignore_ascii_case(name.as_bytes())
        };
        self.headers.iter().find(|(n, _)| matches(n.as_bytes())).map(|(_, v)| v.as_str())
    }
}

/// An HTTP response. Not validated here: the host checks the status (100..=999) and the header
/// names and values.
#[derive(Clone, Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// A response with `status`, no headers and an empty body.
    pub fn new(status: u16) -> Response {
        Response { status, headers: Vec::new(), body: Vec::new() }
    }

    /// Adds a header (a name may be added several times).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Response {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Replaces the body (a `&str`, `String`, `&[u8]` or `Vec<u8>`).
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Response {
        self.body = body.into();
        self
    }
}

/// Log levels of [`log`], as the host's `enum level`.
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
}

/// Writes `message` to the server's log, tagged with the handler's route.
pub fn log(level: Level, message: &str) {
    unsafe { host_log(level as i32, message.as_ptr(), message.len()) }
}

/// The route's config value for `key`, or `None` if it is not set.
pub fn get_config(key: &str) -> Option<String> {
    let mut ret = OptionString { is_some: 0, value: Slice { ptr: ptr::null_mut(), len: 0 } };
    unsafe {
        host_get_config(key.as_ptr(), key.len(), &mut ret);
        if ret.is_some == 0 {
            None
        } else {
            Some(take_string(ret.value))
        }
    }
}

// ---- canonical-ABI layouts ----

/// string and list<T>: (ptr, len), size 8, align 4. tuple<string, string> is [Slice; 2].
#[repr(C)]
#[derive(Clone, Copy)]
struct Slice {
    ptr: *mut u8,
    len: usize,
}

/// option<string>: tag u8 @0, string @4; size 12, align 4.
#[repr(C)]
struct OptionString {
    is_some: u8,
    value: Slice,
}

/// record response { status: u16, headers: list<tuple<string, string>>, body: list<u8> }.
#[repr(C)]
struct ResponseAbi {
    status: u16,
    headers: Slice,
    body: Slice,
}

const _: () = assert!(std::mem::size_of::<ResponseAbi>() == 20 && std::mem::align_of::<ResponseAbi>() == 4);
const _: () = assert!(std::mem::size_of::<OptionString>() == 12 && std::mem::size_of::<[Slice; 2]>() == 16);

const EMPTY: Slice = Slice { ptr: ptr::null_mut(), len: 0 };
/// Read by the host after `handle` returns, then freed by `cabi_post_handle`.
static mut RET_AREA: ResponseAbi = ResponseAbi { status: 0, headers: EMPTY, body: EMPTY };

#[link(wasm_import_module = "witserve:handler/host@0.1.0")]
extern "C" {
    #[link_name = "log"]
    fn host_log(level: i32, ptr: *const u8, len: usize);
    #[link_name = "get-config"]
    fn host_get_config(ptr: *const u8, len: usize, ret: *mut OptionString);
}

fn trap() -> ! {
    core::arch::wasm32::unreachable()
}

// ---- allocation ----

#[export_name = "cabi_realloc"]
unsafe extern "C" fn cabi_realloc(old: *mut u8, old_size: usize, align: usize, new_size: usize) -> *mut u8 {
    if new_size == 0 {
        if old_size != 0 {
            dealloc(old, Layout::from_size_align_unchecked(old_size, align));
        }
        return align as *mut u8; // dangling, never freed
    }
    let layout = Layout::from_size_align(new_size, align).unwrap_or_else(|_| trap());
    let p = if old_size == 0 {
        alloc(layout)
    } else {
        realloc(old, Layout::from_size_align_unchecked(old_size, align), new_size)
    };
    if p.is_null() {
        trap();
    }
    p
}

// ---- lifting the request (taking ownership) and lowering the response (giving it away) ----

unsafe fn take_vec<T>(ptr: *mut T, len: usize) -> Vec<T> {
    if len == 0 {
        Vec::new()
    } else {
        Vec::from_raw_parts(ptr, len, len)
    }
}

unsafe fn take_string(s: Slice) -> String {
    String::from_utf8(take_vec(s.ptr, s.len)).unwrap_or_else(|_| trap()) // the host passes UTF-8
}

fn give_list<T>(v: Vec<T>) -> Slice {
    let len = v.len();
    Slice { ptr: Box::into_raw(v.into_boxed_slice()) as *mut T as *mut u8, len }
}

unsafe fn free_list<T>(s: Slice) {
    if s.len != 0 {
        drop(Box::from_raw(ptr::slice_from_raw_parts_mut(s.ptr as *mut T, s.len)));
    }
}

#[export_name = "handle"]
unsafe extern "C" fn export_handle(
    method: *mut u8, method_len: usize, path: *mut u8, path_len: usize,
    headers: *mut [Slice; 2], header_count: usize, body: *mut u8, body_len: usize,
) -> *mut ResponseAbi {
    let req = Request {
        method: take_string(Slice { ptr: method, len: method_len }),
        path: take_string(Slice { ptr: path, len: path_len }),
        headers: take_vec(headers, header_count).into_iter().map(|[n, v]| (take_string(n), take_string(v))).collect(),
        body: take_vec(body, body_len),
    };
    let res: Response = crate::handle(&req);
    drop(req);
    let headers: Vec<[Slice; 2]> = res
        .headers
        .into_iter()
        .map(|(n, v)| [give_list(n.into_bytes()), give_list(v.into_bytes())])
        .collect();
    let r = ptr::addr_of_mut!(RET_AREA);
    *r = ResponseAbi { status: res.status, headers: give_list(headers), body: give_list(res.body) };
    r
}

#[export_name = "cabi_post_handle"]
unsafe extern "C" fn post_handle(r: *mut ResponseAbi) {
    let r = &*r;
    if r.headers.len != 0 {
        for [n, v] in std::slice::from_raw_parts(r.headers.ptr as *const [Slice; 2], r.headers.len) {
            free_list::<u8>(*n);
            free_list::<u8>(*v);
        }
    }
    free_list::<[Slice; 2]>(r.headers);
    free_list::<u8>(r.body);
}
