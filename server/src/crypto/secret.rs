//! A secret value in memory: no `Serialize`, a `Debug` that shows nothing,
//! and at most its last four characters on screen.

#[derive(Clone, PartialEq, Eq)]
pub struct SecretString(String);

impl SecretString {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value itself, for the one place that must use it (a request header).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `••••` and the last four characters (only when the secret is long
    /// enough that four characters give nothing away).
    pub fn masked(&self) -> String {
        let chars: Vec<char> = self.0.chars().collect();
        if chars.len() >= 12 {
            format!(
                "••••{}",
                chars[chars.len() - 4..].iter().collect::<String>()
            )
        } else {
            "••••".to_string()
        }
    }
}

impl std::fmt::Debug for SecretString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretString(••••)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_hide_themselves() {
        let secret = SecretString::new("sk_live_abcdefghijkl1234");
        assert_eq!(format!("{secret:?}"), "SecretString(••••)");
        assert_eq!(secret.masked(), "••••1234");
        assert_eq!(SecretString::new("short").masked(), "••••");
    }
}
