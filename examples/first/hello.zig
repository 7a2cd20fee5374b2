// A first WASI program in Zig (0.17): greets $NAME, echoes its arguments, writes a file into
// the preopened directory /data and reads it back, and exits with the number of arguments.
const std = @import("std");

pub fn main(init: std.process.Init) !void {
    const io = init.io;
    const name = init.environ_map.get("NAME") orelse "stranger";
    const args = try init.minimal.args.toSlice(init.arena.allocator());

    var buf: [1024]u8 = undefined;
    var stdout_writer = std.Io.File.stdout().writer(io, &buf);
    const out = &stdout_writer.interface;
    try out.print("hello {s} from Zig, args:", .{name});
    for (args[1..]) |arg| try out.print(" {s}", .{arg});
    try out.print("\n", .{});

    const data = init.preopens.get("/data").?.dir;
    var line: [100]u8 = undefined;
    try data.writeFile(io, .{ .sub_path = "hello.txt", .data = try std.fmt.bufPrint(&line, "hello {s}\n", .{name}) });
    const text = try data.readFile(io, "hello.txt", &line);
    try out.print("/data/hello.txt: {s}", .{text});
    try out.flush();
    std.process.exit(@intCast(args.len - 1));
}
