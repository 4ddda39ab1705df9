//! [`Shared`]: a copy-on-write value for the parts of the host that most
//! operations only read (machines, the domain, objects, servers, token
//! contents).
//!
//! Cloning a host copies a pointer for each of these instead of the whole
//! tree, and hashing one writes a fingerprint of its contents computed
//! once (SipHash-1-3 with fixed keys, so the same contents hash the same
//! on every run and machine). Equality, hashing and serialisation all go
//! by contents; `make_mut` copies only when the value is shared.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, OnceLock};

use serde::{Serialize, Serializer};
use siphasher::sip::SipHasher13;

/// A shared, copy-on-write value whose hash is cached.
pub struct Shared<T> {
    inner: Arc<Node<T>>,
}

struct Node<T> {
    value: T,
    hash: OnceLock<u64>,
}

impl<T: Clone> Clone for Node<T> {
    fn clone(&self) -> Node<T> {
        Node {
            value: self.value.clone(),
            hash: OnceLock::new(),
        }
    }
}

impl<T> Shared<T> {
    /// Wraps a value.
    pub fn new(value: T) -> Shared<T> {
        Shared {
            inner: Arc::new(Node {
                value,
                hash: OnceLock::new(),
            }),
        }
    }
}

impl<T> Shared<T> {
    /// Whether two values are the same allocation (and so certainly equal).
    pub fn ptr_eq(a: &Shared<T>, b: &Shared<T>) -> bool {
        Arc::ptr_eq(&a.inner, &b.inner)
    }
}

impl<T: Clone> Shared<T> {
    /// A mutable reference, copying the value first if it is shared.
    pub fn make_mut(&mut self) -> &mut T {
        let node = Arc::make_mut(&mut self.inner);
        node.hash = OnceLock::new();
        &mut node.value
    }
}

impl<T: Hash> Shared<T> {
    /// The fixed-key fingerprint of the contents.
    pub fn fingerprint(&self) -> u64 {
        *self.inner.hash.get_or_init(|| {
            let mut h = SipHasher13::new_with_keys(0x7369_6d6f_732d_7368, 0x0061_7265_643a_7631);
            self.inner.value.hash(&mut h);
            h.finish()
        })
    }
}

impl<T> Deref for Shared<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.inner.value
    }
}

impl<T: Clone> DerefMut for Shared<T> {
    /// Mutable access copies the value first if it is shared.
    fn deref_mut(&mut self) -> &mut T {
        self.make_mut()
    }
}

impl<'a, K, V> IntoIterator for &'a Shared<std::collections::BTreeMap<K, V>> {
    type Item = (&'a K, &'a V);
    type IntoIter = std::collections::btree_map::Iter<'a, K, V>;

    /// Iterates over a shared map's entries, in key order.
    fn into_iter(self) -> Self::IntoIter {
        self.inner.value.iter()
    }
}

impl<T> From<T> for Shared<T> {
    fn from(value: T) -> Shared<T> {
        Shared::new(value)
    }
}

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Shared<T> {
        Shared {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<T: Default> Default for Shared<T> {
    fn default() -> Shared<T> {
        Shared::new(T::default())
    }
}

impl<T: PartialEq> PartialEq for Shared<T> {
    fn eq(&self, other: &Shared<T>) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner) || self.inner.value == other.inner.value
    }
}

impl<T: Eq> Eq for Shared<T> {}

impl<T: Hash> Hash for Shared<T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.fingerprint());
    }
}

impl<T: fmt::Debug> fmt::Debug for Shared<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.value.fmt(f)
    }
}

impl<T: Serialize> Serialize for Shared<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.inner.value.serialize(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_on_write_keeps_the_other_copy() {
        let a = Shared::new(vec![1, 2]);
        let mut b = a.clone();
        assert_eq!(a, b);
        assert_eq!(a.fingerprint(), b.fingerprint());
        b.make_mut().push(3);
        assert_eq!(*a, vec![1, 2]);
        assert_eq!(*b, vec![1, 2, 3]);
        assert_ne!(a, b);
        assert_ne!(a.fingerprint(), b.fingerprint());
        // Equal contents in different allocations are equal and hash alike.
        let c = Shared::new(vec![1, 2, 3]);
        assert_eq!(b, c);
        assert_eq!(b.fingerprint(), c.fingerprint());
    }
}
