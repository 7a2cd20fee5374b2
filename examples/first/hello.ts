// A first WASI program in AssemblyScript: greets $NAME, echoes its arguments, writes a file
// into the preopened directory /data and reads it back, and exits with the number of arguments.
// The WASI shim has no file API, so the file goes through the WASI calls themselves.
import { fd_close, fd_read, fd_write, iovec, oflags, path_open, rights }
  from "bindings/wasi_snapshot_preview1";

const DATA = 3; // the first preopened directory: --dir HOST::/data

function check(err: u16, what: string): void {
  if (err) {
    process.stderr.write(what + ": WASI error " + err.toString() + "\n");
    process.exit(100);
  }
}

// Opens `path` in /data, then reads into or writes from `buf`: the byte count.
function transfer(path: string, create: bool, buf: ArrayBuffer): usize {
  const name = String.UTF8.encode(path);
  const fd = memory.data(4);
  const want = create ? rights.FD_WRITE : rights.FD_READ;
  check(path_open(DATA, 0, changetype<usize>(name), name.byteLength,
                  create ? oflags.CREAT | oflags.TRUNC : 0, want, 0, 0, fd), path);
  const iov = memory.data(offsetof<iovec>());
  store<usize>(iov, changetype<usize>(buf), offsetof<iovec>("buf"));
  store<usize>(iov, buf.byteLength, offsetof<iovec>("buf_len"));
  const n = memory.data(4);
  const f = load<u32>(fd);
  check(create ? fd_write(f, iov, 1, n) : fd_read(f, iov, 1, n), path);
  check(fd_close(f), path);
  return load<u32>(n);
}

const name = process.env.has("NAME") ? process.env.get("NAME") : "stranger";
const args = process.argv.slice(1);
let line = "hello " + name + " from AssemblyScript, args:";
for (let i = 0; i < args.length; i++) line += " " + args[i];
process.stdout.write(line + "\n");

transfer("hello.txt", true, String.UTF8.encode("hello " + name + "\n"));
const text = new ArrayBuffer(100);
const n = transfer("hello.txt", false, text);
process.stdout.write("/data/hello.txt: " + String.UTF8.decode(text.slice(0, <i32>n)));
process.exit(args.length);
