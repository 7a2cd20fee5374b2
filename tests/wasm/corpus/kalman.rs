// f64 math on a simulated sensor: a noisy temperature trace (a slow sine plus deterministic
// pseudo-random noise) smoothed by a 1-D Kalman filter and by a moving average; prints the
// estimates every few steps, the RMS error of each filter and the trapezoid integral of the
// estimate, all with fixed decimals.
use std::env;

struct Rng(u64);

impl Rng {
    // xorshift64*: uniform in [-0.5, 0.5)
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let x = self.0.wrapping_mul(0x2545F4914F6CDD1D);
        (x >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    }
}

struct Kalman {
    x: f64, // estimate
    p: f64, // its variance
    q: f64, // process noise
    r: f64, // measurement noise
}

impl Kalman {
    fn update(&mut self, z: f64) -> f64 {
        self.p += self.q;
        let k = self.p / (self.p + self.r);
        self.x += k * (z - self.x);
        self.p *= 1.0 - k;
        self.x
    }
}

fn main() {
    let steps: usize = env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(200);
    let dt = 0.5;
    let mut rng = Rng(0x9E3779B97F4A7C15);
    let mut kf = Kalman { x: 20.0, p: 1.0, q: 0.01, r: 0.75 };
    let mut window = [0.0f64; 8];
    let (mut se_kf, mut se_ma, mut area, mut prev) = (0.0, 0.0, 0.0, kf.x);
    println!("{:>6} {:>9} {:>9} {:>9} {:>9}", "t", "true", "measured", "kalman", "average");
    for i in 0..steps {
        let t = i as f64 * dt;
        let truth = 20.0 + 3.0 * (t / 15.0).sin() + 0.5 * (t / 4.0).cos();
        let z = truth + 3.0 * rng.next();
        let est = kf.update(z);
        window[i % window.len()] = z;
        let n = (i + 1).min(window.len());
        let avg = window[..n].iter().sum::<f64>() / n as f64;
        se_kf += (est - truth).powi(2);
        se_ma += (avg - truth).powi(2);
        if i > 0 {
            area += 0.5 * (prev + est) * dt;
        }
        prev = est;
        if i % 20 == 0 || i + 1 == steps {
            println!("{:>6.1} {:>9.4} {:>9.4} {:>9.4} {:>9.4}", t, truth, z, est, avg);
        }
    }
    let n = steps as f64;
    println!("rms error: kalman {:.5}, moving average {:.5}", (se_kf / n).sqrt(), (se_ma / n).sqrt());
    println!("integral of the estimate over {:.1} s: {:.6}", (steps - 1) as f64 * dt, area);
    println!("final variance {:.3e}, gain {:.6}", kf.p, kf.p / (kf.p + kf.r));
}
