//! Dotted version comparison as the agent's `versionutil` does it: numeric parts, missing
//! parts count as 0. The peers choose smux, keep-alive and basic port forwarding by it
//! (docs/protocol.md §5.4, §7.1).

/// `a > b`.
pub fn version_greater(a: &str, b: &str) -> bool {
    let parse = |v: &str| -> Vec<u64> { v.split('.').map(|p| p.parse().unwrap_or(0)).collect() };
    let (a, b) = (parse(a), parse(b));
    let width = a.len().max(b.len());
    for i in 0..width {
        let (x, y) = (
            a.get(i).copied().unwrap_or(0),
            b.get(i).copied().unwrap_or(0),
        );
        if x != y {
            return x > y;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_numerically() {
        assert!(version_greater("3.0.1000.0", "3.0.196.0"));
        assert!(!version_greater("3.0.196.0", "3.0.196.0"));
        assert!(!version_greater("2.3.1319.0", "3.0.196.0"));
        assert!(version_greater("1.2.677.0", "1.1.70"));
        assert!(version_greater("3.3.987.0", "3.1.1511.0"));
    }
}
