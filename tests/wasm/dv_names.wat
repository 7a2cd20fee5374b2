;; Function names for the name-section test (test_decode.test_wat_module_names).
(module
  (import "env" "f" (func $imported (param i32)))
  (func $first (result i32) (i32.const 1))
  (func $second (param i32) (call $imported (local.get 0))))
