//! `*` / `?` wildcard matching for actions, ARNs and `StringLike`.
//!
//! Greedy two-pointer matching with a single backtrack point: linear in
//! practice and O(pattern × text) in the worst case, never exponential, so
//! no policy or request string can make evaluation run away.

/// Whether `text` matches `pattern`, where `*` matches any run of characters
/// (including none) and `?` exactly one.
pub fn matches(pattern: &str, text: &str) -> bool {
    matches_with(pattern, text, false)
}

/// `matches`, ignoring ASCII case (IAM action names are case-insensitive).
pub fn matches_ignore_ascii_case(pattern: &str, text: &str) -> bool {
    matches_with(pattern, text, true)
}

fn matches_with(pattern: &str, text: &str, fold: bool) -> bool {
    if !pattern.contains(['*', '?']) {
        return if fold { pattern.eq_ignore_ascii_case(text) } else { pattern == text };
    }
    // Byte-wise matching is exact for `*` and literals (UTF-8 is
    // self-synchronizing); `?` must consume a whole character, so non-ASCII
    // text with `?` in the pattern takes the per-character path.
    if pattern.contains('?') && !text.is_ascii() {
        let p: Vec<char> = pattern.chars().collect();
        let t: Vec<char> = text.chars().collect();
        return glob(&p, &t, |a, b| if fold { a.eq_ignore_ascii_case(b) } else { a == b }, '*', '?');
    }
    glob(pattern.as_bytes(), text.as_bytes(), |a, b| if fold { a.eq_ignore_ascii_case(b) } else { a == b }, b'*', b'?')
}

fn glob<T: Copy + PartialEq>(p: &[T], t: &[T], eq: impl Fn(&T, &T) -> bool, star_sym: T, any: T) -> bool {
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match (p.get(pi), t.get(ti)) {
            (Some(c), _) if *c == star_sym => {
                star = Some((pi, ti));
                pi += 1;
            }
            (Some(c), Some(x)) if *c == any || eq(c, x) => {
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
    p.get(pi..).is_some_and(|rest| rest.iter().all(|c| *c == star_sym))
}

#[cfg(test)]
mod tests {
    use super::{matches, matches_ignore_ascii_case};

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
    fn question_marks_take_whole_characters_and_case_folding_is_opt_in() {
        assert!(matches("a?c", "aéc"));
        assert!(!matches("a?c", "aééc"));
        assert!(matches("*é", "café"));
        assert!(!matches("kms:encrypt", "kms:Encrypt"));
        assert!(matches_ignore_ascii_case("kms:encrypt", "kms:Encrypt"));
        assert!(matches_ignore_ascii_case("KMS:GENERATE*", "kms:GenerateDataKey"));
    }

    #[test]
    fn pathological_patterns_finish_quickly() {
        let pattern = format!("{}b", "*a".repeat(500));
        let text = "a".repeat(5000);
        assert!(!matches(&pattern, &text));
    }
}
