//! `Limit` / `Marker` paging, as every AWS List operation does it.

use crate::error::{KmsError, Result, Violations};
use std::collections::BTreeMap;
use std::ops::Bound;

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

/// Most characters of a `Marker` (AWS's `MarkerType`).
const MAX_MARKER_CHARS: usize = 1024;

/// The model constraints of `Limit` (1 up to `limits.max`) and `Marker`
/// (1..1024 characters of `[\u0020-\u00FF]*`), checked with the request's
/// other members.
pub(crate) fn paging_constraints(v: &mut Violations, limit: Option<i64>, marker: Option<&str>, limits: Limits) {
    v.range("limit", limit, 1, i64::try_from(limits.max).unwrap_or(i64::MAX))
        .pattern("marker", marker, "[\\u0020-\\u00FF]*", |m| m.chars().all(|c| ('\u{20}'..='\u{ff}').contains(&c)))
        .length("marker", marker, 1, MAX_MARKER_CHARS);
}

/// A `Marker` that breaks no model constraint but is not one we handed out.
fn invalid_marker() -> KmsError {
    KmsError::InvalidMarkerException("The Marker is not valid.".into())
}

/// Cuts one page from `items`. Markers are opaque to callers; ours are a
/// position, prefixed so a marker from another list is less likely to parse.
pub fn page<T>(items: Vec<T>, limit: Option<i64>, marker: Option<&str>, limits: Limits) -> Result<Page<T>> {
    let size = page_size(limit, marker, limits)?;
    let start = match marker {
        None => 0,
        Some(m) => m
            .strip_prefix("p")
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|&n| n > 0 && n <= items.len())
            .ok_or_else(invalid_marker)?,
    };
    let total = items.len();
    let end = start.saturating_add(size).min(total);
    let items: Vec<T> = items.into_iter().skip(start).take(end - start).collect();
    let truncated = end < total;
    Ok(Page { items, truncated, next_marker: truncated.then(|| format!("p{end}")) })
}

/// The page size a `Limit` asks for, after the paging constraints.
pub fn page_size(limit: Option<i64>, marker: Option<&str>, limits: Limits) -> Result<usize> {
    let mut v = Violations::new();
    paging_constraints(&mut v, limit, marker, limits);
    v.check()?;
    Ok(limit.and_then(|l| usize::try_from(l).ok()).unwrap_or(limits.default))
}

/// The key a `Marker` of `form` names: the last key of the previous page.
pub fn marker_key<K>(marker: Option<&str>, form: &MarkerForm<K>) -> Result<Option<K>> {
    marker.map(|m| m.strip_prefix(form.prefix).and_then(form.decode).ok_or_else(invalid_marker)).transpose()
}

/// Cuts one page of `size` items from `walk`, the kept entries in key
/// order after the marker's key; `marker_of` makes the marker that names
/// a key.
pub fn page_walk<Q, T>(
    mut walk: impl Iterator<Item = (Q, T)>,
    size: usize,
    marker_of: impl Fn(&Q) -> String,
) -> Page<T> {
    let mut items = Vec::new();
    let mut last = None;
    for (k, item) in walk.by_ref().take(size) {
        items.push(item);
        last = Some(k);
    }
    let truncated = walk.next().is_some();
    let next_marker = if truncated { last.as_ref().map(marker_of) } else { None };
    Page { items, truncated, next_marker }
}

/// How a map's keys appear in markers: `prefix` + `encode(key)`, and back.
pub struct MarkerForm<K> {
    /// Marks the markers of one list.
    pub prefix: &'static str,
    /// A key as marker text.
    pub encode: fn(&K) -> String,
    /// Marker text as a key (`None`: not one of ours).
    pub decode: fn(&str) -> Option<K>,
}

/// Cuts one page from the entries of a sorted map that `keep` turns into
/// items. The marker names the last key of the previous page, so a page
/// costs O(log n + what it walks) instead of a copy of the whole map, and
/// entries added or removed between pages never shift the others.
pub fn page_map<K: Ord, V, T>(
    map: &BTreeMap<K, V>,
    limit: Option<i64>,
    marker: Option<&str>,
    limits: Limits,
    form: &MarkerForm<K>,
    mut keep: impl FnMut(&K, &V) -> Option<T>,
) -> Result<Page<T>> {
    let size = page_size(limit, marker, limits)?;
    let after = marker_key(marker, form)?;
    let walk = match &after {
        None => map.range::<K, _>(..),
        Some(k) => map.range((Bound::Excluded(k), Bound::Unbounded)),
    }
    .filter_map(|(k, v)| keep(k, v).map(|item| (k, item)));
    Ok(page_walk(walk, size, |k| format!("{}{}", form.prefix, (form.encode)(k))))
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
        assert_eq!(
            page(vec![1], Some(0), None, L).unwrap_err().message(),
            "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1"
        );
        assert_eq!(
            page(vec![1], Some(4), None, L).unwrap_err().message(),
            "1 validation error detected: Value '4' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 3"
        );
    }

    #[test]
    fn markers_breaking_the_model_are_validation_errors() {
        assert_eq!(
            page(vec![1], Some(0), Some(""), L).unwrap_err().message(),
            "2 validation errors detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1; Value '' at 'marker' failed to satisfy constraint: Member must have length greater than or equal to 1"
        );
        let e = page(vec![1], None, Some("p\u{100}"), L).unwrap_err();
        assert_eq!(
            e.message(),
            "1 validation error detected: Value 'p\u{100}' at 'marker' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\u0020-\\u00FF]*"
        );
        assert_eq!(page(vec![1], None, Some(&"p".repeat(1025)), L).unwrap_err().name(), "ValidationException");
    }

    #[test]
    fn foreign_markers_are_invalid_marker_exceptions() {
        for bad in ["x", "p0", "p9", "p-1", "2"] {
            assert_eq!(page(vec![1, 2], None, Some(bad), L).unwrap_err().name(), "InvalidMarkerException", "{bad}");
        }
    }

    const NUMBERS: MarkerForm<u32> = MarkerForm { prefix: "n:", encode: |k| k.to_string(), decode: |s| s.parse().ok() };

    #[test]
    fn map_pages_walk_the_whole_map_once_and_survive_changes_between_pages() {
        let mut map: BTreeMap<u32, ()> = (0..5).map(|k| (k * 10, ())).collect();
        let keep = |k: &u32, _: &()| Some(*k);
        let p1 = page_map(&map, Some(2), None, L, &NUMBERS, keep).unwrap();
        assert_eq!((p1.items.clone(), p1.truncated, p1.next_marker.as_deref()), (vec![0, 10], true, Some("n:10")));
        // an entry before the marker is removed and one after it added: nothing skipped, nothing twice
        map.remove(&0);
        map.insert(15, ());
        let p2 = page_map(&map, Some(3), p1.next_marker.as_deref(), L, &NUMBERS, keep).unwrap();
        assert_eq!((p2.items.clone(), p2.truncated), (vec![15, 20, 30], true));
        let p3 = page_map(&map, Some(3), p2.next_marker.as_deref(), L, &NUMBERS, keep).unwrap();
        assert_eq!((p3.items, p3.truncated, p3.next_marker), (vec![40], false, None));
    }

    #[test]
    fn map_pages_filter_and_know_when_nothing_kept_follows() {
        let map: BTreeMap<u32, ()> = (0..10).map(|k| (k, ())).collect();
        let even = |k: &u32, _: &()| (k % 2 == 0).then_some(*k);
        let p = page_map(&map, Some(5), None, L_BIG, &NUMBERS, even).unwrap();
        assert_eq!((p.items, p.truncated), (vec![0, 2, 4, 6, 8], false));
        let p = page_map(&map, Some(2), Some("n:4"), L, &NUMBERS, even).unwrap();
        assert_eq!((p.items, p.truncated, p.next_marker.as_deref()), (vec![6, 8], false, None));
    }

    #[test]
    fn map_markers_not_ours_are_invalid_marker_exceptions() {
        let map: BTreeMap<u32, ()> = BTreeMap::new();
        for bad in ["x", "p1", "n:", "n:x", "bogus-marker"] {
            let e = page_map(&map, None, Some(bad), L, &NUMBERS, |k, _| Some(*k)).unwrap_err();
            assert_eq!(e.name(), "InvalidMarkerException", "{bad}");
        }
    }

    const L_BIG: Limits = Limits { default: 2, max: 10 };
}
