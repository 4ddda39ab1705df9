//! What files hold: a [`Content`] is a size and a digest standing for the
//! bytes, so that a copy can be told from an original and two files
//! compared without the model carrying data.
//!
//! This module owns the content type, the deterministic digests (of given
//! bytes, or derived from a name and a size for content nobody spelled
//! out), the host's record of each file's content, and the host queries
//! over it ([`Host::file_content`], [`Host::compare_files`]). Contents
//! change through [`Op::SetContent`](crate::Op::SetContent) (a writer
//! that already holds a handle: no access check) and go with the object
//! when it is deleted or replaced. The object's security lives in
//! [`crate::objects`]; this module never decides access.

use serde::{Deserialize, Serialize};
use siphasher::sip::SipHasher13;
use std::hash::Hasher;
use winsec::Win32Error;

use crate::host::Host;
use crate::objects::normalize_path;

/// Fixed keys of the content digests (the ASCII of "bitsim-content:v1").
const KEYS: (u64, u64) = (0x6269_7473_696d_2d63, 0x6f6e_7465_6e74_3a31);

/// What a file holds: its size in bytes and a digest of the bytes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Content {
    /// The size in bytes.
    pub bytes: u64,
    /// A digest standing for the bytes (equal digests, equal content).
    pub digest: String,
}

fn sip(parts: &[&[u8]]) -> String {
    let mut h = SipHasher13::new_with_keys(KEYS.0, KEYS.1);
    for part in parts {
        h.write(&(part.len() as u64).to_le_bytes());
        h.write(part);
    }
    format!("sip13:{:016x}", h.finish())
}

impl Content {
    /// Nothing: a file just created.
    pub fn empty() -> Content {
        Content::of_bytes(b"")
    }

    /// The content of these bytes.
    pub fn of_bytes(bytes: &[u8]) -> Content {
        Content {
            bytes: bytes.len() as u64,
            digest: sip(&[b"bytes", bytes]),
        }
    }

    /// The content of a text (its UTF-8 bytes).
    pub fn of_text(text: &str) -> Content {
        Content::of_bytes(text.as_bytes())
    }

    /// Content nobody spelled out, published as `name` with `bytes`
    /// bytes: the same name and size always give the same digest, and any
    /// other name or size another one. The name is compared without case.
    pub fn derived(name: &str, bytes: u64) -> Content {
        Content {
            bytes,
            digest: sip(&[
                b"published",
                name.to_ascii_lowercase().as_bytes(),
                &bytes.to_le_bytes(),
            ]),
        }
    }

    /// Content given as a size and a digest.
    pub fn given(bytes: u64, digest: &str) -> Content {
        Content {
            bytes,
            digest: digest.to_string(),
        }
    }
}

/// How two files compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Comparison {
    /// The same content.
    Same,
    /// Different content.
    Different,
}

impl Host {
    /// The content of the object at `path` on `machine`: what was last
    /// written to it, empty when nothing was; `None` when there is no such
    /// object.
    pub fn file_content(&self, machine: &str, path: &str) -> Option<Content> {
        self.object(machine, path)?;
        let key = content_key(machine, path)?;
        Some(
            self.contents
                .get(&key)
                .cloned()
                .unwrap_or_else(Content::empty),
        )
    }

    /// Compares the contents of two files of `machine`
    /// (ERROR_FILE_NOT_FOUND when either does not exist).
    pub fn compare_files(&self, machine: &str, a: &str, b: &str) -> Result<Comparison, Win32Error> {
        let a = self
            .file_content(machine, a)
            .ok_or(Win32Error::FileNotFound)?;
        let b = self
            .file_content(machine, b)
            .ok_or(Win32Error::FileNotFound)?;
        Ok(if a == b {
            Comparison::Same
        } else {
            Comparison::Different
        })
    }

    /// `SetContent`: the object's data is now `content` (`None`: emptied).
    pub(crate) fn set_content(
        &mut self,
        machine: &str,
        path: &str,
        content: Option<&Content>,
    ) -> Result<(), Win32Error> {
        if self.object(machine, path).is_none() {
            return Err(Win32Error::FileNotFound);
        }
        let key = content_key(machine, path).ok_or(Win32Error::InvalidParameter)?;
        match content {
            Some(c) => {
                self.contents.insert(key, c.clone());
            }
            None => {
                self.contents.remove(&key);
            }
        }
        Ok(())
    }

    /// The object at `path` is gone or was replaced: so is its content.
    pub(crate) fn forget_content(&mut self, machine: &str, path: &str) {
        if let Some(key) = content_key(machine, path) {
            self.contents.remove(&key);
        }
    }
}

/// The key of a file's content: the object's key.
fn content_key(machine: &str, path: &str) -> Option<(String, String)> {
    Some((machine.to_ascii_uppercase(), normalize_path(path)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_fixed_and_tell_contents_apart() {
        assert_eq!(
            Content::derived("http://web/a", 10),
            Content::derived("HTTP://WEB/A", 10)
        );
        assert_ne!(
            Content::derived("http://web/a", 10),
            Content::derived("http://web/a", 11)
        );
        assert_ne!(
            Content::derived("http://web/a", 10),
            Content::derived("http://web/b", 10)
        );
        assert_eq!(Content::of_text("hello").bytes, 5);
        assert_ne!(Content::of_text("hello"), Content::of_text("hellO"));
        // Spelled-out bytes never collide with a derived content by construction.
        assert_ne!(Content::of_bytes(b""), Content::derived("", 0));
        // Pinned: a change of keys or layout changes every recorded digest.
        assert_eq!(Content::empty().digest, Content::of_bytes(b"").digest);
        assert!(Content::empty().digest.starts_with("sip13:"));
        assert_eq!(Content::empty().digest.len(), "sip13:".len() + 16);
    }
}
