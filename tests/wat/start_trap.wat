;; A start function that traps: instantiation must fail with the trap.
(module
  (func $start unreachable)
  (start $start)
)
