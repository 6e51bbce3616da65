// The "rust-values" test component (world test:rust-values/rust-values, see rust-values.wit and
// ../README.md). Built by Debian's rustc 1.63 for wasm32-unknown-unknown as a cdylib; no crates, no
// bindings generator: the canonical-ABI glue is written by hand.
//
// Core names follow wit-component's legacy convention: export "NAME", post-return "cabi_post_NAME",
// plus "memory" and "cabi_realloc". The module imports nothing (panics abort: `unreachable`).
//
// Ownership: every string and list the host passes in was allocated through cabi_realloc with the
// canonical size and alignment (a string: len bytes, align 1; a list<T>: len * size(T), align(T)),
// which is exactly the Layout Rust's Vec<T> with capacity len frees, so arguments are taken over as
// Vec/String and dropped here. Empty strings and lists are never freed: jco passes the dangling
// pointer 1 for them without calling cabi_realloc (as wit-bindgen's glue expects). Results that do not
// fit one core value are written to a static return area; what they point to is a Box<str> or a
// Box<[T]> (exact capacity) and is freed by the post-return function.
#![allow(clippy::missing_safety_doc)]

use std::alloc::{alloc, dealloc, realloc, Layout};
use std::mem;
use std::ptr;

// ---- canonical-ABI memory layouts ----

/// string and list<T> in memory: (ptr, len), size 8, align 4.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct WasmSlice {
    ptr: *mut u8,
    len: usize,
}

/// record text-stats { words: u32, bytes: u32, longest: string, mean-length: f64 }: size 24, align 8.
#[repr(C)]
struct TextStats {
    words: u32,
    bytes: u32,
    longest: WasmSlice,
    mean_length: f64,
}

/// One static return area, big enough and aligned enough for every result (as wit-bindgen does). The
/// host reads the result, then calls the post-return function, before the next export call.
#[repr(C, align(8))]
struct RetArea([u8; 32]);
static mut RET_AREA: RetArea = RetArea([0; 32]);

const _: () = assert!(mem::size_of::<WasmSlice>() == 8 && mem::align_of::<WasmSlice>() == 4);
const _: () = assert!(mem::size_of::<TextStats>() == 24 && mem::align_of::<TextStats>() == 8);
const _: () = assert!(mem::size_of::<TextStats>() <= mem::size_of::<RetArea>());

fn ret_area() -> *mut u8 {
    unsafe { ptr::addr_of_mut!(RET_AREA) as *mut u8 }
}

fn trap() -> ! {
    core::arch::wasm32::unreachable()
}

// ---- allocation ----

#[export_name = "cabi_realloc"]
pub unsafe extern "C" fn cabi_realloc(old: *mut u8, old_size: usize, align: usize, new_size: usize) -> *mut u8 {
    if new_size == 0 {
        if old_size != 0 {
            dealloc(old, Layout::from_size_align_unchecked(old_size, align));
        }
        return align as *mut u8; // dangling, like wit-bindgen's
    }
    let layout = match Layout::from_size_align(new_size, align) {
        Ok(l) => l,
        Err(_) => trap(),
    };
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

// ---- lifting arguments (taking ownership) ----

unsafe fn take_vec<T>(ptr: *mut T, len: usize) -> Vec<T> {
    if len == 0 {
        Vec::new()
    } else {
        Vec::from_raw_parts(ptr, len, len)
    }
}

unsafe fn take_string(ptr: *mut u8, len: usize) -> String {
    match String::from_utf8(take_vec(ptr, len)) {
        Ok(s) => s,
        Err(_) => trap(), // a host must pass valid UTF-8
    }
}

unsafe fn take_string_list(ptr: *mut WasmSlice, len: usize) -> Vec<String> {
    take_vec(ptr, len).into_iter().map(|s| take_string(s.ptr, s.len)).collect()
}

// ---- lowering results (giving ownership to the post-return function) ----

fn give_string(s: String) -> WasmSlice {
    let b: Box<str> = s.into_boxed_str();
    let len = b.len();
    WasmSlice { ptr: Box::into_raw(b) as *mut u8, len }
}

fn give_list<T>(v: Vec<T>) -> WasmSlice {
    let b: Box<[T]> = v.into_boxed_slice();
    let len = b.len();
    WasmSlice { ptr: Box::into_raw(b) as *mut T as *mut u8, len }
}

unsafe fn free_string(s: WasmSlice) {
    if s.len != 0 {
        drop(Box::from_raw(ptr::slice_from_raw_parts_mut(s.ptr, s.len)));
    }
}

unsafe fn free_string_list(l: WasmSlice) {
    if l.len != 0 {
        let items: Box<[WasmSlice]> = Box::from_raw(ptr::slice_from_raw_parts_mut(l.ptr as *mut WasmSlice, l.len));
        for s in items.iter() {
            free_string(*s);
        }
    }
}

unsafe fn return_slice(s: WasmSlice) -> *mut u8 {
    let r = ret_area();
    ptr::write(r as *mut WasmSlice, s);
    r
}

// ---- the exports ----

#[export_name = "greet"]
pub unsafe extern "C" fn greet(ptr: *mut u8, len: usize) -> *mut u8 {
    let name = take_string(ptr, len);
    return_slice(give_string(format!("Hello, {}!", name)))
}
#[export_name = "cabi_post_greet"]
pub unsafe extern "C" fn post_greet(r: *mut u8) {
    free_string(ptr::read(r as *const WasmSlice));
}

#[export_name = "add"]
pub extern "C" fn add(a: u32, b: u32) -> u32 {
    a.wrapping_add(b)
}

#[export_name = "sum-list"]
pub unsafe extern "C" fn sum_list(ptr: *mut u32, len: usize) -> u64 {
    take_vec(ptr, len).iter().map(|&x| x as u64).sum()
}

#[export_name = "split-words"]
pub unsafe extern "C" fn split_words(ptr: *mut u8, len: usize) -> *mut u8 {
    let s = take_string(ptr, len);
    let words: Vec<WasmSlice> = s.split_whitespace().map(|w| give_string(w.to_string())).collect();
    return_slice(give_list(words))
}
#[export_name = "cabi_post_split-words"]
pub unsafe extern "C" fn post_split_words(r: *mut u8) {
    free_string_list(ptr::read(r as *const WasmSlice));
}

#[export_name = "join-words"]
pub unsafe extern "C" fn join_words(words_ptr: *mut WasmSlice, words_len: usize, sep_ptr: *mut u8, sep_len: usize) -> *mut u8 {
    let words = take_string_list(words_ptr, words_len);
    let sep = take_string(sep_ptr, sep_len);
    return_slice(give_string(words.join(&sep)))
}
#[export_name = "cabi_post_join-words"]
pub unsafe extern "C" fn post_join_words(r: *mut u8) {
    free_string(ptr::read(r as *const WasmSlice));
}

fn parse_pair_str(s: &str) -> Result<(u32, u32), String> {
    let (a, b) = s.split_once(',').ok_or_else(|| format!("expected A,B: {}", s))?;
    let num = |part: &str| part.trim().parse::<u32>().map_err(|_| format!("not a u32: {}", part.trim()));
    Ok((num(a)?, num(b)?))
}

// result<tuple<u32, u32>, string> in memory: discriminant u8 at 0, payload at 4 (the tuple's two u32s,
// or the string's ptr and len); size 12, align 4.
#[export_name = "parse-pair"]
pub unsafe extern "C" fn parse_pair(ptr: *mut u8, len: usize) -> *mut u8 {
    let s = take_string(ptr, len);
    let r = ret_area();
    match parse_pair_str(&s) {
        Ok((a, b)) => {
            *r = 0;
            ptr::write(r.add(4) as *mut u32, a);
            ptr::write(r.add(8) as *mut u32, b);
        }
        Err(e) => {
            *r = 1;
            ptr::write(r.add(4) as *mut WasmSlice, give_string(e));
        }
    }
    r
}
#[export_name = "cabi_post_parse-pair"]
pub unsafe extern "C" fn post_parse_pair(r: *mut u8) {
    if *r == 1 {
        free_string(ptr::read(r.add(4) as *const WasmSlice));
    }
}

// option<s32> flattens to (i32 discriminant, i32 payload); as a result (2 flat values) it goes through
// memory: discriminant u8 at 0, s32 at 4. Nothing to free, so no post-return function.
#[export_name = "maybe-double"]
pub unsafe extern "C" fn maybe_double(is_some: u32, x: i32) -> *mut u8 {
    let arg = match is_some {
        0 => None,
        1 => Some(x),
        _ => trap(),
    };
    let r = ret_area();
    match arg.and_then(|x| x.checked_mul(2)) {
        None => *r = 0,
        Some(v) => {
            *r = 1;
            ptr::write(r.add(4) as *mut i32, v);
        }
    }
    r
}

#[export_name = "count-char"]
pub unsafe extern "C" fn count_char(ptr: *mut u8, len: usize, c: u32) -> u32 {
    let s = take_string(ptr, len);
    let c = match char::from_u32(c) {
        Some(c) => c,
        None => trap(), // not a Unicode scalar value: the host must reject it first
    };
    s.chars().filter(|&x| x == c).count() as u32
}

#[export_name = "analyze-text"]
pub unsafe extern "C" fn analyze_text(ptr: *mut u8, len: usize) -> *mut u8 {
    let s = take_string(ptr, len);
    let words: Vec<&str> = s.split_whitespace().collect();
    let mut longest = "";
    for w in &words {
        if w.len() > longest.len() {
            longest = w;
        }
    }
    let total: usize = words.iter().map(|w| w.len()).sum();
    let stats = TextStats {
        words: words.len() as u32,
        bytes: s.len() as u32,
        longest: give_string(longest.to_string()),
        mean_length: if words.is_empty() { 0.0 } else { total as f64 / words.len() as f64 },
    };
    let r = ret_area();
    ptr::write(r as *mut TextStats, stats);
    r
}
#[export_name = "cabi_post_analyze-text"]
pub unsafe extern "C" fn post_analyze_text(r: *mut u8) {
    free_string(ptr::read(r as *const TextStats).longest);
}

