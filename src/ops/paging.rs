//! `Limit` / `Marker` paging, as every AWS List operation does it.

use crate::error::{KmsError, Result};

/// One page of results.
#[derive(Debug, PartialEq, Eq)]
pub struct Page<T> {
    /// The items on this page.
    pub items: Vec<T>,
    /// Whether more items follow.
    pub truncated: bool,
    /// The `Marker` for the next page, when truncated.
    pub next_marker: Option<String>,
}

/// Bounds of a List operation's `Limit`.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// The page size when `Limit` is absent.
    pub default: usize,
    /// The largest `Limit` accepted.
    pub max: usize,
}

/// Cuts one page from `items`. Markers are opaque to callers; ours are a
/// position, prefixed so a marker from another list is less likely to parse.
pub fn page<T>(items: Vec<T>, limit: Option<i64>, marker: Option<&str>, limits: Limits) -> Result<Page<T>> {
    let size = match limit {
        None => limits.default,
        Some(l) => usize::try_from(l)
            .ok()
            .filter(|l| (1..=limits.max).contains(l))
            .ok_or_else(|| KmsError::validation(format!("Limit must be between 1 and {}.", limits.max)))?,
    };
    let start = match marker {
        None => 0,
        Some(m) => m
            .strip_prefix("p")
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|&n| n > 0 && n <= items.len())
            .ok_or_else(|| KmsError::InvalidMarkerException("The Marker is not valid.".into()))?,
    };
    let total = items.len();
    let end = start.saturating_add(size).min(total);
    let items: Vec<T> = items.into_iter().skip(start).take(end - start).collect();
    let truncated = end < total;
    Ok(Page { items, truncated, next_marker: truncated.then(|| format!("p{end}")) })
}

#[cfg(test)]
mod tests {
    use super::*;

    const L: Limits = Limits { default: 2, max: 3 };

    #[test]
    fn pages_walk_the_whole_list_once() {
        let all: Vec<u32> = (0..5).collect();
        let p1 = page(all.clone(), None, None, L).unwrap();
        assert_eq!((p1.items.clone(), p1.truncated), (vec![0, 1], true));
        let p2 = page(all.clone(), Some(3), p1.next_marker.as_deref(), L).unwrap();
        assert_eq!((p2.items.clone(), p2.truncated), (vec![2, 3, 4], false));
        assert_eq!(p2.next_marker, None);
    }

    #[test]
    fn limits_outside_bounds_are_validation_errors() {
        for bad in [0, 4, -1] {
            assert_eq!(page(vec![1], Some(bad), None, L).unwrap_err().name(), "ValidationException");
        }
    }

    #[test]
    fn foreign_markers_are_invalid_marker_exceptions() {
        for bad in ["", "x", "p0", "p9", "p-1", "2"] {
            assert_eq!(page(vec![1, 2], None, Some(bad), L).unwrap_err().name(), "InvalidMarkerException", "{bad}");
        }
    }
}
