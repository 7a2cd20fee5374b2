// A text formatter: fills and justifies a paragraph to a width (default 32), then prints the
// line count and the Adler-32 checksum of the formatted text.
// Usage: wordwrap [WIDTH] [WORD...] (with no words: a built-in paragraph).
const TEXT = "The board reads the sensor every second and keeps a short history in RAM. " +
  "When the history is full the oldest reading is dropped, the mean and the spread are " +
  "recomputed, and an alarm line is printed if the newest value strays more than three " +
  "standard deviations from the mean. Nothing here needs floating point hardware.";

function adler32(s: string): u32 {
  let a: u32 = 1, b: u32 = 0;
  const bytes = Uint8Array.wrap(String.UTF8.encode(s));
  for (let i = 0; i < bytes.length; i++) {
    a = (a + bytes[i]) % 65521;
    b = (b + a) % 65521;
  }
  return (b << 16) | a;
}

function justify(words: string[], width: i32, last: bool): string {
  if (words.length == 1 || last) return words.join(" ");
  let letters = 0;
  for (let i = 0; i < words.length; i++) letters += words[i].length;
  const gaps = words.length - 1;
  const spaces = width - letters;
  let line = "";
  for (let i = 0; i < words.length; i++) {
    line += words[i];
    if (i < gaps) line += " ".repeat(spaces / gaps + (i < spaces % gaps ? 1 : 0));
  }
  return line;
}

let width = 32;
let words: string[] = [];
const argv = process.argv;
if (argv.length > 1) width = I32.parseInt(argv[1]);
if (argv.length > 2) words = argv.slice(2);
else words = TEXT.split(" ");

if (width < 8) {
  process.stderr.write("wordwrap: width must be at least 8\n");
  process.exit(2);
}
let out = "";
let lines = 0;
let line: string[] = [];
let len = 0;
for (let i = 0; i < words.length; i++) {
  const w = words[i];
  if (w.length == 0) continue;
  if (line.length > 0 && len + 1 + w.length > width) {
    out += "|" + justify(line, width, false).padEnd(width) + "|\n";
    lines++;
    line = [];
    len = 0;
  }
  len += (line.length > 0 ? 1 : 0) + w.length;
  line.push(w);
}
if (line.length > 0) {
  out += "|" + justify(line, width, true).padEnd(width) + "|\n";
  lines++;
}
process.stdout.write(out);
process.stdout.write(lines.toString() + " lines, adler32 " + adler32(out).toString(16) + "\n");
