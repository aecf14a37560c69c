//! Ordering a certificate chain: issuer first, root last, no blanks, no duplicates.
//!
//! Linear in the chain's length: a signing answer may hold tens of thousands of `caChain`
//! entries within the body cap, so duplicates are found with a hash set and the issuer path
//! is followed through a map from subject to certificates, never by scanning the list again
//! for each entry.

use std::collections::HashSet;
#[cfg(any(feature = "x509", test))]
use std::collections::{HashMap, VecDeque};
use std::hash::Hash;

use crate::pem_text::body_text;

/// Orders `chain` for `leaf`: `issuer` (when given) and the chain's certificates, blank entries
/// and duplicates (and copies of the leaf) removed, issuer first and root last.
pub(crate) fn order_chain(leaf: &str, issuer: Option<&str>, chain: Vec<String>) -> Vec<String> {
    let leaf_fp = body_text(leaf);
    let tidied = issuer
        .map(str::to_owned)
        .into_iter()
        .chain(chain)
        .map(crate::pem_text::tidy)
        .filter(|pem| !pem.is_empty())
        .map(|pem| (body_text(&pem), pem))
        .filter(|(fp, _)| !fp.is_empty());
    let certs: Vec<String> = first_occurrences(Some(leaf_fp), tidied);
    #[cfg(feature = "x509")]
    if certs.len() > 1 {
        if let Some(ordered) = crate::x509::order_by_names(leaf, &certs) {
            return ordered;
        }
    }
    certs
}

/// The values of `items` (each with its key), in order, skipping any whose key came before or
/// is `skip`. One hash-set insert per item.
pub(crate) fn first_occurrences<K: Hash + Eq, V>(
    skip: Option<K>,
    items: impl IntoIterator<Item = (K, V)>,
) -> Vec<V> {
    let mut seen: HashSet<K> = skip.into_iter().collect();
    items
        .into_iter()
        .filter_map(|(key, value)| seen.insert(key).then_some(value))
        .collect()
}

/// The order of a chain of `(subject, issuer)` pairs starting from a certificate issued by
/// `want`: the indices along the issuer path up to a self-issued one, then every other index in
/// its given order. Where several certificates have the same subject, the first unused one is
/// taken, as a scan of the list would. One map insert per certificate and one look-up per step.
#[cfg(any(feature = "x509", test))]
pub(crate) fn issuer_path<K: Hash + Eq + Clone>(mut want: K, names: &[(K, K)]) -> Vec<usize> {
    let mut by_subject: HashMap<&K, VecDeque<usize>> = HashMap::with_capacity(names.len());
    for (i, (subject, _)) in names.iter().enumerate() {
        by_subject.entry(subject).or_default().push_back(i);
    }
    let mut used = vec![false; names.len()];
    let mut out = Vec::with_capacity(names.len());
    while let Some(i) = by_subject.get_mut(&want).and_then(VecDeque::pop_front) {
        used[i] = true;
        out.push(i);
        let (subject, issuer) = &names[i];
        if subject == issuer {
            break;
        }
        want = issuer.clone();
    }
    out.extend((0..names.len()).filter(|&i| !used[i]));
    out
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::hash::Hasher;

    use super::*;

    thread_local! {
        /// Comparisons and hashes of [`Counted`] keys made on this thread.
        static OPS: Cell<u64> = const { Cell::new(0) };
    }

    /// A key that counts how often it is compared or hashed.
    #[derive(Debug, Clone)]
    struct Counted(u64);

    impl PartialEq for Counted {
        fn eq(&self, other: &Self) -> bool {
            OPS.with(|c| c.set(c.get() + 1));
            self.0 == other.0
        }
    }
    impl Eq for Counted {}
    impl Hash for Counted {
        fn hash<H: Hasher>(&self, state: &mut H) {
            OPS.with(|c| c.set(c.get() + 1));
            self.0.hash(state);
        }
    }

    fn ops(f: impl FnOnce()) -> u64 {
        OPS.with(|c| c.set(0));
        f();
        OPS.with(Cell::get)
    }

    /// The work per entry stays the same from 1,000 to 64,000 entries: a quadratic scan would
    /// make 64 times as many comparisons per entry at the larger size.
    fn per_entry(n: u64, f: impl Fn(u64) -> u64) -> (f64, f64) {
        let small = f(n) as f64 / n as f64;
        let large = f(64 * n) as f64 / (64 * n) as f64;
        (small, large)
    }

    #[test]
    fn duplicates_are_dropped_in_linear_work() {
        let run = |n: u64| {
            // Every entry twice, then the leaf's key: half are duplicates.
            let items = (0..n).chain(0..n).map(|i| (Counted(i), i));
            ops(|| {
                let kept = first_occurrences(Some(Counted(u64::MAX)), items);
                assert_eq!(kept.len() as u64, n);
                assert!(kept.iter().copied().eq(0..n));
            })
        };
        let (small, large) = per_entry(1000, run);
        assert!(large <= small * 1.5 + 1.0, "{small} then {large} per entry");
        assert!(large < 8.0, "{large} operations per entry");
    }

    #[test]
    fn the_issuer_path_is_followed_in_linear_work() {
        // A path 0 ← 1 ← … ← n-1 given from the root down (the worst order for a scan), with
        // a self-issued root: certificate i has subject i and issuer i + 1.
        let run = |n: u64| {
            let names: Vec<(Counted, Counted)> = (0..n)
                .rev()
                .map(|i| (Counted(i), Counted(if i + 1 == n { i } else { i + 1 })))
                .collect();
            ops(|| {
                let order = issuer_path(Counted(0), &names);
                let expected: Vec<usize> = (0..n as usize).rev().collect();
                assert_eq!(order, expected);
            })
        };
        let (small, large) = per_entry(1000, run);
        assert!(large <= small * 1.5 + 1.0, "{small} then {large} per entry");
        assert!(large < 16.0, "{large} operations per entry");
    }

    #[test]
    fn the_issuer_path_takes_the_first_unused_certificate_and_keeps_the_rest_in_order() {
        // 0: subject A issued by B; 1: stray X; 2: B by B (root); 3: another A by B.
        let names = [("A", "B"), ("X", "Y"), ("B", "B"), ("A", "B")];
        assert_eq!(issuer_path("A", &names), [0, 2, 1, 3]);
        assert_eq!(issuer_path("Z", &names), [0, 1, 2, 3]);
        // A loop without a self-issued root ends when the subjects run out.
        let looped = [("A", "B"), ("B", "A")];
        assert_eq!(issuer_path("A", &looped), [0, 1]);
    }
}
