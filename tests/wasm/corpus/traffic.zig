// A pedestrian-crossing traffic light as a state machine: cars have green until a button is
// pressed (and the green has lasted its minimum), then yellow, red with walk, flashing don't-walk,
// back to green. Usage: traffic TICKS PRESS... (ticks at which the button is pressed).
// Prints every transition and, at the end, how long each state was held and how long each
// pedestrian waited.
const std = @import("std");

const State = enum { green, yellow, red_walk, red_flash, red_clear };

const Light = struct {
    state: State = .green,
    held: u32 = 0, // ticks in this state
    request: ?u32 = null, // tick of the first waiting press

    fn minimum(s: State) u32 {
        return switch (s) {
            .green => 8,
            .yellow => 3,
            .red_walk => 6,
            .red_flash => 4,
            .red_clear => 2,
        };
    }

    fn next(self: *Light) ?State {
        if (self.held + 1 < minimum(self.state)) return null;
        return switch (self.state) {
            .green => if (self.request != null) .yellow else null,
            .yellow => .red_walk,
            .red_walk => .red_flash,
            .red_flash => .red_clear,
            .red_clear => .green,
        };
    }
};

// A board program sizes its memory up front: the arguments go into a fixed buffer (the full
// std.process.Init would take pages from memory.grow for its allocators and preopens).
var arg_space: [1024]u8 = undefined;

pub fn main(init: std.process.Init.Minimal) !void {
    const io = std.Io.Threaded.global_single_threaded.io();
    var fba = std.heap.FixedBufferAllocator.init(&arg_space);
    const args = try init.args.toSlice(fba.allocator());
    var buf: [1024]u8 = undefined;
    var stdout_writer = std.Io.File.stdout().writer(io, &buf);
    const out = &stdout_writer.interface;
    if (args.len < 2) {
        try out.print("usage: traffic TICKS PRESS...\n", .{});
        try out.flush();
        std.process.exit(2);
    }
    const ticks = try std.fmt.parseInt(u32, args[1], 10);
    var presses: [32]u32 = undefined;
    const n = @min(args.len - 2, presses.len);
    for (args[2 .. 2 + n], 0..) |a, i| presses[i] = try std.fmt.parseInt(u32, a, 10);

    var light = Light{};
    var totals: [std.enums.values(State).len]u32 = @splat(0);
    var waits: [32]u32 = undefined;
    var served: usize = 0;
    var p: usize = 0;
    var t: u32 = 0;
    while (t < ticks) : (t += 1) {
        while (p < n and presses[p] == t) : (p += 1) {
            if (light.request == null and light.state == .green) light.request = t;
            try out.print("t={d:>3} button ({s})\n", .{ t, @tagName(light.state) });
        }
        totals[@intFromEnum(light.state)] += 1;
        if (light.next()) |s| {
            try out.print("t={d:>3} {s} -> {s} after {d}\n", .{ t, @tagName(light.state), @tagName(s), light.held + 1 });
            if (s == .red_walk) {
                waits[served] = t - light.request.?;
                served += 1;
                light.request = null;
            }
            light.state = s;
            light.held = 0;
        } else light.held += 1;
    }
    for (std.enums.values(State)) |s| try out.print("{s:<10} {d:>4} ticks\n", .{ @tagName(s), totals[@intFromEnum(s)] });
    var sum: u32 = 0;
    for (waits[0..served]) |w| sum += w;
    try out.print("crossings {d}, mean wait {d}.{d:0>2} ticks\n", .{ served, if (served > 0) sum / served else 0, if (served > 0) (sum * 100 / served) % 100 else 0 });
    try out.flush();
}
