//! Sign-in throttling. Failures are counted per account+address, per
//! address and per account; past a threshold each further attempt must wait
//! a delay that doubles, capped. The per-account cap is short, so an attacker
//! spraying from many addresses cannot lock the real user out for long.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

struct Rule {
    threshold: u32,
    cap: Duration,
}

const ACCOUNT_AND_ADDRESS: Rule = Rule {
    threshold: 5,
    cap: Duration::from_secs(300),
};
const ADDRESS: Rule = Rule {
    threshold: 20,
    cap: Duration::from_secs(300),
};
const ACCOUNT: Rule = Rule {
    threshold: 10,
    cap: Duration::from_secs(30),
};
/// Failures older than this are forgotten.
const MEMORY: Duration = Duration::from_secs(15 * 60);
const BASE_DELAY: Duration = Duration::from_secs(1);

struct Entry {
    failures: u32,
    last_failure: Instant,
    locked_until: Option<Instant>,
}

#[derive(Default)]
pub struct LoginThrottle {
    entries: Mutex<HashMap<String, Entry>>,
}

fn keys(email: &str, ip: IpAddr) -> [(String, &'static Rule); 3] {
    [
        (
            format!("account-address:{email}|{ip}"),
            &ACCOUNT_AND_ADDRESS,
        ),
        (format!("address:{ip}"), &ADDRESS),
        (format!("account:{email}"), &ACCOUNT),
    ]
}

impl LoginThrottle {
    /// `Err(wait)` when an attempt for this account from this address must wait.
    pub fn check(&self, email: &str, ip: IpAddr) -> Result<(), Duration> {
        let now = Instant::now();
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let wait = keys(email, ip)
            .iter()
            .filter_map(|(key, _)| entries.get(key)?.locked_until)
            .filter(|until| *until > now)
            .map(|until| until - now)
            .max();
        match wait {
            Some(wait) => Err(wait),
            None => Ok(()),
        }
    }

    pub fn record_failure(&self, email: &str, ip: IpAddr) {
        let now = Instant::now();
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.retain(|_, e| now.duration_since(e.last_failure) < MEMORY);
        for (key, rule) in keys(email, ip) {
            let entry = entries.entry(key).or_insert(Entry {
                failures: 0,
                last_failure: now,
                locked_until: None,
            });
            entry.failures += 1;
            entry.last_failure = now;
            if entry.failures >= rule.threshold {
                let doublings = (entry.failures - rule.threshold).min(16);
                let delay = BASE_DELAY.saturating_mul(1 << doublings).min(rule.cap);
                entry.locked_until = Some(now + delay);
            }
        }
    }

    /// A successful sign-in clears the account's counters (not the address's).
    pub fn record_success(&self, email: &str, ip: IpAddr) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let [(pair, _), _, (account, _)] = keys(email, ip);
        entries.remove(&pair);
        entries.remove(&account);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IP: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1));

    #[test]
    fn five_failures_lock_with_a_growing_delay() {
        let throttle = LoginThrottle::default();
        for _ in 0..4 {
            throttle.record_failure("ana@example.com", IP);
            assert!(throttle.check("ana@example.com", IP).is_ok());
        }
        throttle.record_failure("ana@example.com", IP);
        let first = throttle.check("ana@example.com", IP).unwrap_err();
        assert!(first <= Duration::from_secs(1) && first > Duration::from_millis(900));
        throttle.record_failure("ana@example.com", IP);
        let second = throttle.check("ana@example.com", IP).unwrap_err();
        assert!(second > Duration::from_millis(1900), "{second:?}");
        // Another account from the same address is not affected yet.
        assert!(throttle.check("bo@example.com", IP).is_ok());
    }

    #[test]
    fn success_clears_the_account() {
        let throttle = LoginThrottle::default();
        for _ in 0..5 {
            throttle.record_failure("ana@example.com", IP);
        }
        throttle.record_success("ana@example.com", IP);
        assert!(throttle.check("ana@example.com", IP).is_ok());
    }

    #[test]
    fn spraying_from_many_addresses_locks_the_account_only_briefly() {
        let throttle = LoginThrottle::default();
        for i in 0..200u8 {
            let ip = IpAddr::V4(std::net::Ipv4Addr::new(10, 1, 0, i));
            throttle.record_failure("ana@example.com", ip);
        }
        let wait = throttle.check("ana@example.com", IP).unwrap_err();
        assert!(wait <= ACCOUNT.cap, "{wait:?}");
    }
}
