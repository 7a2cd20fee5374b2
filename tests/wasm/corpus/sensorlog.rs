// A sensor-log parser: reads a CSV log (time,sensor,value) from the preopened /data, prints
// per-sensor count, min, max and mean, and writes the same table to /data/summary.csv.
// Lines that do not parse are counted and reported, not fatal.
use std::collections::HashMap;
use std::env;
use std::fs;
use std::process;

struct Stats {
    count: u32,
    min: f64,
    max: f64,
    sum: f64,
    last_time: u32,
}

fn parse(line: &str) -> Option<(u32, &str, f64)> {
    let mut fields = line.split(',');
    let time = fields.next()?.trim().parse().ok()?;
    let sensor = fields.next()?.trim();
    let value = fields.next()?.trim().parse().ok()?;
    if sensor.is_empty() || fields.next().is_some() {
        return None;
    }
    Some((time, sensor, value))
}

fn main() {
    let args: Vec<String> = env::args().collect();
    let input = args.get(1).map(String::as_str).unwrap_or("/data/sensors.csv");
    let text = match fs::read_to_string(input) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{}: {}", input, e);
            process::exit(2);
        }
    };
    let mut sensors: HashMap<String, Stats> = HashMap::new();
    let mut bad = Vec::new();
    for (n, line) in text.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        match parse(line) {
            Some((time, name, value)) => {
                let s = sensors.entry(name.to_string()).or_insert(Stats {
                    count: 0,
                    min: f64::INFINITY,
                    max: f64::NEG_INFINITY,
                    sum: 0.0,
                    last_time: 0,
                });
                s.count += 1;
                s.min = s.min.min(value);
                s.max = s.max.max(value);
                s.sum += value;
                s.last_time = s.last_time.max(time);
            }
            None => bad.push(n + 1),
        }
    }
    let mut names: Vec<&String> = sensors.keys().collect();
    names.sort();
    let mut table = String::from("sensor,count,min,max,mean,last\n");
    println!("{:<12} {:>5} {:>8} {:>8} {:>8} {:>6}", "sensor", "n", "min", "max", "mean", "last");
    for name in names {
        let s = &sensors[name];
        let mean = s.sum / s.count as f64;
        println!("{:<12} {:>5} {:>8.2} {:>8.2} {:>8.3} {:>6}",
                 name, s.count, s.min, s.max, mean, s.last_time);
        table.push_str(&format!("{},{},{:.2},{:.2},{:.3},{}\n",
                                name, s.count, s.min, s.max, mean, s.last_time));
    }
    if !bad.is_empty() {
        let lines: Vec<String> = bad.iter().map(|n| n.to_string()).collect();
        println!("skipped {} bad line(s): {}", bad.len(), lines.join(" "));
    }
    if let Err(e) = fs::write("/data/summary.csv", table) {
        eprintln!("/data/summary.csv: {}", e);
        process::exit(2);
    }
    println!("wrote /data/summary.csv");
}
