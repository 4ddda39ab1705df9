//! Every interface of the BITS API, which object implements it, and the
//! Windows release whose BITS first has it.
//!
//! This module owns the interface table: names as COM spells them,
//! [`Interface::object`] (QueryInterface on a job pointer can only yield
//! an interface of the job object, and so on), [`Interface::introduced`]
//! (the release whose BITS first ships it), and [`InterfaceSet`], the set
//! a profile's [`Rules`](crate::Rules) carries so that code asks
//! `rules.interfaces.contains(i)`, never which release it runs.
//!
//! Sources: Microsoft Learn "BITS interfaces"
//! (<https://learn.microsoft.com/windows/win32/bits/bits-interfaces>) for
//! the list, "What's New (BITS)"
//! (<https://learn.microsoft.com/windows/win32/bits/what-s-new>) and each
//! interface's requirements section for the release that introduced it
//! (docs/decisions.md D-72).

use std::fmt;

use serde::{Deserialize, Serialize};

/// A Windows release, for the tables of what each release's BITS has.
/// Only the releases where something this model knows appeared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Release {
    /// Windows Vista (BITS 3.0); everything of BITS 1.0 to 3.0.
    Vista,
    /// Windows 7 (BITS 4.0).
    Win7,
    /// Windows 8 (BITS 5.0).
    Win8,
    /// Windows 10 1507 (BITS 5.0 as Windows 10 ships it).
    Win10_1507,
    /// Windows 10 1607.
    Win10_1607,
    /// Windows 10 1703, the Creators Update (BITS 10.1).
    Win10_1703,
    /// Windows 10 1809, the October 2018 Update (BITS 10.2).
    Win10_1809,
    /// Windows 10 1903, the May 2019 Update (BITS 10.3).
    Win10_1903,
}

impl Release {
    /// The release's name.
    pub const fn name(self) -> &'static str {
        match self {
            Release::Vista => "Windows Vista",
            Release::Win7 => "Windows 7",
            Release::Win8 => "Windows 8",
            Release::Win10_1507 => "Windows 10 1507",
            Release::Win10_1607 => "Windows 10 1607",
            Release::Win10_1703 => "Windows 10 1703",
            Release::Win10_1809 => "Windows 10 1809",
            Release::Win10_1903 => "Windows 10 1903",
        }
    }

    /// `self` is `other` or later.
    pub const fn at_least(self, other: Release) -> bool {
        self as u8 >= other as u8
    }
}

/// The object of the BITS API that implements an interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ComObject {
    /// The manager (`CLSID_BackgroundCopyManager`).
    Manager,
    /// A job.
    Job,
    /// One file of a job.
    File,
    /// A jobs enumerator.
    JobsEnumerator,
    /// A files enumerator.
    FilesEnumerator,
    /// An error object (`GetError`).
    Error,
    /// An object the client implements and hands to BITS (callbacks).
    Client,
    /// The BITS 3.0 peer cache and its records and peers.
    PeerCache,
}

macro_rules! interfaces {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal, $object:ident, $release:ident; )+) => {
        /// A BITS interface.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum Interface {
            $( $(#[$doc])* #[serde(rename = $name)] $variant, )+
        }

        impl Interface {
            /// Every interface, in table order.
            pub const ALL: &'static [Interface] = &[$(Interface::$variant),+];

            /// The COM name.
            pub const fn name(self) -> &'static str {
                match self { $(Interface::$variant => $name,)+ }
            }

            /// The object that implements it.
            pub const fn object(self) -> ComObject {
                match self { $(Interface::$variant => ComObject::$object,)+ }
            }

            /// The release whose BITS first has it.
            pub const fn introduced(self) -> Release {
                match self { $(Interface::$variant => Release::$release,)+ }
            }
        }
    };
}

interfaces! {
    /// `IBackgroundCopyManager`: creates, finds and lists jobs.
    Manager = "IBackgroundCopyManager", Manager, Vista;
    /// `IBackgroundCopyJob`.
    Job = "IBackgroundCopyJob", Job, Vista;
    /// `IBackgroundCopyJob2` (credentials, notification command line, reply file; BITS 1.5).
    Job2 = "IBackgroundCopyJob2", Job, Vista;
    /// `IBackgroundCopyJob3` (file ranges, ACL flags; BITS 2.0).
    Job3 = "IBackgroundCopyJob3", Job, Vista;
    /// `IBackgroundCopyJob4` (owner elevation and integrity, peer caching; BITS 3.0).
    Job4 = "IBackgroundCopyJob4", Job, Vista;
    /// `IBackgroundCopyJob5` (GetProperty / SetProperty; BITS 5.0, Windows 8).
    Job5 = "IBackgroundCopyJob5", Job, Win8;
    /// `IBackgroundCopyJobHttpOptions` (client certificate, headers, security flags; BITS 2.5).
    HttpOptions = "IBackgroundCopyJobHttpOptions", Job, Vista;
    /// `IBackgroundCopyJobHttpOptions2` (the HTTP method; BITS 10.2, Windows 10 1809).
    HttpOptions2 = "IBackgroundCopyJobHttpOptions2", Job, Win10_1809;
    /// `IBackgroundCopyJobHttpOptions3` (write-only headers, certificate callback; BITS 10.3, Windows 10 1903).
    HttpOptions3 = "IBackgroundCopyJobHttpOptions3", Job, Win10_1903;
    /// `IBitsTokenOptions` (helper tokens; BITS 4.0, Windows 7). Whether a
    /// release has it is the `BITS-TOKEN-OPTIONS` switch.
    TokenOptions = "IBitsTokenOptions", Job, Win7;
    /// `IBackgroundCopyFile`.
    File = "IBackgroundCopyFile", File, Vista;
    /// `IBackgroundCopyFile2` (ranges, new remote name; BITS 2.0).
    File2 = "IBackgroundCopyFile2", File, Vista;
    /// `IBackgroundCopyFile3` (temporary name, validation; BITS 3.0).
    File3 = "IBackgroundCopyFile3", File, Vista;
    /// `IBackgroundCopyFile4` (peer statistics; BITS 4.0, Windows 7).
    File4 = "IBackgroundCopyFile4", File, Win7;
    /// `IBackgroundCopyFile5` (file properties; BITS 5.0, Windows 8).
    File5 = "IBackgroundCopyFile5", File, Win8;
    /// `IBackgroundCopyFile6` (on-demand ranges; BITS 10.1, Windows 10 1703).
    File6 = "IBackgroundCopyFile6", File, Win10_1703;
    /// `IEnumBackgroundCopyJobs`.
    EnumJobs = "IEnumBackgroundCopyJobs", JobsEnumerator, Vista;
    /// `IEnumBackgroundCopyFiles`.
    EnumFiles = "IEnumBackgroundCopyFiles", FilesEnumerator, Vista;
    /// `IBackgroundCopyError`.
    Error = "IBackgroundCopyError", Error, Vista;
    /// `IBackgroundCopyCallback`, implemented by the client.
    Callback = "IBackgroundCopyCallback", Client, Vista;
    /// `IBackgroundCopyCallback2` (BITS 3.0), implemented by the client.
    Callback2 = "IBackgroundCopyCallback2", Client, Vista;
    /// `IBackgroundCopyCallback3` (BITS 10.1, Windows 10 1703), implemented by the client.
    Callback3 = "IBackgroundCopyCallback3", Client, Win10_1703;
    /// `IBackgroundCopyServerCertificateValidationCallback` (BITS 10.3), implemented by the client.
    ServerCertificateValidationCallback = "IBackgroundCopyServerCertificateValidationCallback", Client, Win10_1903;
    /// `IBitsPeerCacheAdministration` (BITS 3.0; deprecated from BITS 4.0, its methods then return S_FALSE).
    PeerCacheAdministration = "IBitsPeerCacheAdministration", Manager, Vista;
    /// `IBitsPeerCacheRecord` (BITS 3.0).
    PeerCacheRecord = "IBitsPeerCacheRecord", PeerCache, Vista;
    /// `IBitsPeer` (BITS 3.0).
    Peer = "IBitsPeer", PeerCache, Vista;
    /// `IEnumBitsPeerCacheRecords` (BITS 3.0).
    EnumPeerCacheRecords = "IEnumBitsPeerCacheRecords", PeerCache, Vista;
    /// `IEnumBitsPeers` (BITS 3.0).
    EnumPeers = "IEnumBitsPeers", PeerCache, Vista;
}

impl Interface {
    /// The interface with this COM name (exact spelling).
    pub fn from_name(name: &str) -> Option<Interface> {
        Interface::ALL.iter().copied().find(|i| i.name() == name)
    }

    /// The interfaces the job object answers QueryInterface for (on a
    /// release that has them).
    pub const fn on_job_object(self) -> bool {
        matches!(self.object(), ComObject::Job)
    }

    /// This interface's bit in an [`InterfaceSet`].
    const fn bit(self) -> u64 {
        1u64 << (self as u64)
    }
}

impl fmt::Display for Interface {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A set of interfaces: what a release's BITS implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct InterfaceSet(pub u64);

impl InterfaceSet {
    /// No interface.
    pub const EMPTY: InterfaceSet = InterfaceSet(0);

    /// Every interface the BITS of `release` implements, by the table,
    /// except IBitsTokenOptions, which the `BITS-TOKEN-OPTIONS` switch
    /// governs.
    pub const fn of_release(release: Release) -> InterfaceSet {
        let mut bits = 0u64;
        let mut i = 0;
        while i < Interface::ALL.len() {
            let interface = Interface::ALL[i];
            if release.at_least(interface.introduced())
                && !matches!(interface, Interface::TokenOptions)
            {
                bits |= interface.bit();
            }
            i += 1;
        }
        InterfaceSet(bits)
    }

    /// Whether the set holds `interface`.
    pub const fn contains(self, interface: Interface) -> bool {
        self.0 & interface.bit() != 0
    }

    /// The set without `interface`.
    pub const fn without(self, interface: Interface) -> InterfaceSet {
        InterfaceSet(self.0 & !interface.bit())
    }

    /// The set with `interface`.
    pub const fn with(self, interface: Interface) -> InterfaceSet {
        InterfaceSet(self.0 | interface.bit())
    }

    /// The interfaces in the set, in table order.
    pub fn iter(self) -> impl Iterator<Item = Interface> {
        Interface::ALL
            .iter()
            .copied()
            .filter(move |i| self.contains(*i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_round_trip() {
        let mut names: Vec<&str> = Interface::ALL.iter().map(|i| i.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Interface::ALL.len());
        for i in Interface::ALL {
            assert_eq!(Interface::from_name(i.name()), Some(*i));
        }
        assert_eq!(Interface::from_name("IBackgroundCopyJob6"), None);
        assert!(Interface::ALL.len() < 64, "the set is a u64");
    }

    #[test]
    fn each_release_adds_what_whats_new_lists() {
        let vista = InterfaceSet::of_release(Release::Vista);
        assert!(vista.contains(Interface::Job4) && vista.contains(Interface::HttpOptions));
        assert!(!vista.contains(Interface::Job5) && !vista.contains(Interface::File4));
        let win7 = InterfaceSet::of_release(Release::Win7);
        assert!(win7.contains(Interface::File4) && !win7.contains(Interface::Job5));
        let win8 = InterfaceSet::of_release(Release::Win8);
        assert!(win8.contains(Interface::Job5) && win8.contains(Interface::File5));
        assert!(!win8.contains(Interface::File6));
        let creators = InterfaceSet::of_release(Release::Win10_1703);
        assert!(creators.contains(Interface::File6) && !creators.contains(Interface::HttpOptions2));
        let may_2019 = InterfaceSet::of_release(Release::Win10_1903);
        assert!(may_2019.contains(Interface::HttpOptions3));
        // IBitsTokenOptions is the switch's business.
        assert!(!may_2019.contains(Interface::TokenOptions));
        assert_eq!(
            may_2019.without(Interface::Job5).with(Interface::Job5),
            may_2019
        );
    }
}
