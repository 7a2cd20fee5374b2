// A first WASI program in Rust: greets $NAME, echoes its arguments, writes a file into the
// preopened directory /data and reads it back, and exits with the number of arguments.
use std::{env, fs, process};

fn main() {
    let name = env::var("NAME").unwrap_or_else(|_| "stranger".to_string());
    let args: Vec<String> = env::args().skip(1).collect();
    print!("hello {} from Rust, args:", name);
    for arg in &args {
        print!(" {}", arg);
    }
    println!();

    fs::write("/data/hello.txt", format!("hello {}\n", name)).expect("/data/hello.txt");
    let text = fs::read_to_string("/data/hello.txt").expect("/data/hello.txt");
    print!("/data/hello.txt: {}", text);
    process::exit(args.len() as i32);
}
