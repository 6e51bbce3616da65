;; Core module of minimal.wasm (world test:minimal/minimal): wat2wasm, jco embed, jco new.
(module
  (func (export "run") (result i32)
    i32.const 42))
