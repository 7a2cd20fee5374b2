;; Loads and stores at frame boundaries, for tests/test_memory.py.
(module
  (memory 1 4)
  (func (export "probe") (param $a i32) (result i64)
    ;; store an i64 and an i32 around $a, read back mixed widths
    (i64.store (local.get $a) (i64.const 0x0102030405060708))
    (i32.store16 offset=1 (local.get $a) (i32.const 0xBEEF))
    (i64.add
      (i64.load (local.get $a))
      (i64.extend_i32_u (i32.load16_s offset=2 (local.get $a)))))
  (func (export "touch") (param $n i32)
    ;; write one byte in each of $n 1 KiB pages
    (loop $l
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (i32.store8 (i32.mul (local.get $n) (i32.const 1024)) (i32.const 1))
      (br_if $l (local.get $n)))))
