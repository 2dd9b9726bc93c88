//! `*` / `?` wildcard matching for actions, ARNs and `StringLike`.
//!
//! Greedy two-pointer matching with a single backtrack point: linear in
//! practice and O(pattern × text) in the worst case, never exponential, so
//! no policy or request string can make evaluation run away.

/// Whether `text` matches `pattern`, where `*` matches any run of characters
/// (including none) and `?` exactly one.
pub fn matches(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(&c) if c == '?' || Some(&c) == t.get(ti) => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..).is_some_and(|rest| rest.iter().all(|&c| c == '*'))
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn wildcards_match_like_iam() {
        assert!(matches("kms:*", "kms:Encrypt"));
        assert!(matches("kms:Generate*", "kms:GenerateDataKey"));
        assert!(matches("kms:Describe*", "kms:DescribeKey"));
        assert!(!matches("kms:Describe*", "kms:Decrypt"));
        assert!(matches("*", ""));
        assert!(matches("a?c", "abc"));
        assert!(!matches("a?c", "ac"));
        assert!(matches("arn:aws:kms:*:111122223333:key/*", "arn:aws:kms:us-east-1:111122223333:key/abc"));
        assert!(matches("*a*b*c*", "xxaxxbxxcxx"));
        assert!(!matches("*a*b*c*", "xxaxxcxxbxx"));
        assert!(matches("exact", "exact"));
        assert!(!matches("exact", "exactly"));
    }

    #[test]
    fn pathological_patterns_finish_quickly() {
        let pattern = format!("{}b", "*a".repeat(500));
        let text = "a".repeat(5000);
        assert!(!matches(&pattern, &text));
    }
}
