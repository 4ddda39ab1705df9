//! `IBackgroundCopyJob5` job properties: `BITS_JOB_PROPERTY_ID` with the
//! release that introduced each, the `BITS_JOB_PROPERTY_VALUE` a property
//! takes, the values a new job starts with, and the rules SetProperty
//! applies before it stores a value (download jobs only, before the first
//! Resume, before the first file, the values accepted).
//!
//! Sources: Microsoft Learn `BITS_JOB_PROPERTY_ID`
//! (<https://learn.microsoft.com/windows/win32/api/bits5_0/ne-bits5_0-bits_job_property_id>),
//! `BITS_JOB_PROPERTY_VALUE`, "What's New (BITS)" (version 10.1 added
//! ON_DEMAND_MODE and MINIMUM_NOTIFICATION_INTERVAL_MS), and the error
//! codes of `bitsmsg.h` (BG_E_UNKNOWN_PROPERTY_ID and the codes after it).
//! Where the sources are silent the choices are docs/decisions.md D-73.

use serde::{Deserialize, Serialize};

use crate::hresult::HResult;
use crate::interfaces::Release;
use crate::job::JobType;

/// `BITS_JOB_PROPERTY_ID`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobProperty {
    /// 1: the transfer policy over costed networks (a `Dword`).
    CostFlags,
    /// 2: the CLSID of a COM callback server (a `ClsID`; GUID_NULL clears it).
    NotificationClsid,
    /// 3: content without HEAD, Content-Length or ranges may be downloaded
    /// (`Enable`).
    DynamicContent,
    /// 4: no progress persisted, download straight into the file (`Enable`).
    HighPerformance,
    /// 5: the most bytes the job may download (`Uint64`).
    MaxDownloadSize,
    /// 7: stored credentials may answer the proxy (`Target`).
    UseStoredCredentials,
    /// 9: the minimum time between notifications, in milliseconds (`Dword`).
    MinimumNotificationIntervalMs,
    /// 10: on-demand ranges (`Enable`).
    OnDemandMode,
}

/// `BITS_JOB_TRANSFER_POLICY_ALWAYS`: transfer whatever the cost.
pub const TRANSFER_POLICY_ALWAYS: u32 = 0x8000_00FF;

/// `BG_AUTH_TARGET_PROXY`, the only target USE_STORED_CREDENTIALS takes.
pub const AUTH_TARGET_PROXY: u32 = 2;

impl JobProperty {
    /// Every property, by value.
    pub const ALL: [JobProperty; 8] = [
        JobProperty::CostFlags,
        JobProperty::NotificationClsid,
        JobProperty::DynamicContent,
        JobProperty::HighPerformance,
        JobProperty::MaxDownloadSize,
        JobProperty::UseStoredCredentials,
        JobProperty::MinimumNotificationIntervalMs,
        JobProperty::OnDemandMode,
    ];

    /// The numeric `BITS_JOB_PROPERTY_ID`.
    pub const fn value(self) -> u32 {
        match self {
            JobProperty::CostFlags => 1,
            JobProperty::NotificationClsid => 2,
            JobProperty::DynamicContent => 3,
            JobProperty::HighPerformance => 4,
            JobProperty::MaxDownloadSize => 5,
            JobProperty::UseStoredCredentials => 7,
            JobProperty::MinimumNotificationIntervalMs => 9,
            JobProperty::OnDemandMode => 10,
        }
    }

    /// The property with this numeric id.
    pub fn from_value(value: u32) -> Option<JobProperty> {
        JobProperty::ALL.into_iter().find(|p| p.value() == value)
    }

    /// The Windows name.
    pub const fn name(self) -> &'static str {
        match self {
            JobProperty::CostFlags => "BITS_JOB_PROPERTY_ID_COST_FLAGS",
            JobProperty::NotificationClsid => "BITS_JOB_PROPERTY_NOTIFICATION_CLSID",
            JobProperty::DynamicContent => "BITS_JOB_PROPERTY_DYNAMIC_CONTENT",
            JobProperty::HighPerformance => "BITS_JOB_PROPERTY_HIGH_PERFORMANCE",
            JobProperty::MaxDownloadSize => "BITS_JOB_PROPERTY_MAX_DOWNLOAD_SIZE",
            JobProperty::UseStoredCredentials => "BITS_JOB_PROPERTY_USE_STORED_CREDENTIALS",
            JobProperty::MinimumNotificationIntervalMs => {
                "BITS_JOB_PROPERTY_MINIMUM_NOTIFICATION_INTERVAL_MS"
            }
            JobProperty::OnDemandMode => "BITS_JOB_PROPERTY_ON_DEMAND_MODE",
        }
    }

    /// The release whose BITS first knows the property.
    pub const fn introduced(self) -> Release {
        match self {
            JobProperty::CostFlags | JobProperty::NotificationClsid => Release::Win8,
            JobProperty::DynamicContent
            | JobProperty::HighPerformance
            | JobProperty::MaxDownloadSize
            | JobProperty::UseStoredCredentials => Release::Win10_1507,
            JobProperty::MinimumNotificationIntervalMs | JobProperty::OnDemandMode => {
                Release::Win10_1703
            }
        }
    }

    /// The member of `BITS_JOB_PROPERTY_VALUE` the property uses.
    pub const fn kind(self) -> ValueKind {
        match self {
            JobProperty::CostFlags | JobProperty::MinimumNotificationIntervalMs => ValueKind::Dword,
            JobProperty::NotificationClsid => ValueKind::ClsId,
            JobProperty::DynamicContent
            | JobProperty::HighPerformance
            | JobProperty::OnDemandMode => ValueKind::Enable,
            JobProperty::MaxDownloadSize => ValueKind::Uint64,
            JobProperty::UseStoredCredentials => ValueKind::Target,
        }
    }

    /// Only download jobs take it (BG_E_PROPERTY_SUPPORTED_FOR_DOWNLOAD_JOBS_ONLY).
    pub const fn download_only(self) -> bool {
        matches!(
            self,
            JobProperty::DynamicContent
                | JobProperty::HighPerformance
                | JobProperty::MaxDownloadSize
                | JobProperty::OnDemandMode
        )
    }

    const fn bit(self) -> u32 {
        1u32 << self.value()
    }
}

/// The members of `BITS_JOB_PROPERTY_VALUE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueKind {
    /// `Dword`.
    Dword,
    /// `ClsID`.
    ClsId,
    /// `Enable`.
    Enable,
    /// `Uint64`.
    Uint64,
    /// `Target` (`BG_AUTH_TARGET`).
    Target,
}

/// A `BITS_JOB_PROPERTY_VALUE`, tagged with the member the caller fills.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum PropertyValue {
    /// `Dword`.
    Dword(u32),
    /// `ClsID`: a CLSID in registry format, `None` for GUID_NULL.
    ClsId(Option<String>),
    /// `Enable`.
    Enable(bool),
    /// `Uint64`.
    Uint64(u64),
    /// `Target`: a `BG_AUTH_TARGET` value.
    Target(u32),
}

impl PropertyValue {
    /// The member it fills.
    pub const fn kind(&self) -> ValueKind {
        match self {
            PropertyValue::Dword(_) => ValueKind::Dword,
            PropertyValue::ClsId(_) => ValueKind::ClsId,
            PropertyValue::Enable(_) => ValueKind::Enable,
            PropertyValue::Uint64(_) => ValueKind::Uint64,
            PropertyValue::Target(_) => ValueKind::Target,
        }
    }
}

/// The job properties a release's BITS knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct JobPropertySet(pub u32);

impl JobPropertySet {
    /// No property (no IBackgroundCopyJob5).
    pub const EMPTY: JobPropertySet = JobPropertySet(0);

    /// The properties the BITS of `release` knows.
    pub const fn of_release(release: Release) -> JobPropertySet {
        let mut bits = 0;
        let mut i = 0;
        while i < JobProperty::ALL.len() {
            let p = JobProperty::ALL[i];
            if release.at_least(p.introduced()) {
                bits |= p.bit();
            }
            i += 1;
        }
        JobPropertySet(bits)
    }

    /// Whether the set holds `property`.
    pub const fn contains(self, property: JobProperty) -> bool {
        self.0 & property.bit() != 0
    }

    /// The properties in the set, by value.
    pub fn iter(self) -> impl Iterator<Item = JobProperty> {
        JobProperty::ALL
            .into_iter()
            .filter(move |p| self.contains(*p))
    }
}

/// A job's `IBackgroundCopyJob5` properties.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct JobProperties {
    /// COST_FLAGS (`BITS_JOB_TRANSFER_POLICY_ALWAYS` until set).
    pub cost_flags: u32,
    /// NOTIFICATION_CLSID (`None`: GUID_NULL).
    pub notification_clsid: Option<String>,
    /// DYNAMIC_CONTENT.
    pub dynamic_content: bool,
    /// HIGH_PERFORMANCE.
    pub high_performance: bool,
    /// MAX_DOWNLOAD_SIZE (`u64::MAX`: no limit).
    pub max_download_size: u64,
    /// USE_STORED_CREDENTIALS: the target (`0` until set, else
    /// BG_AUTH_TARGET_PROXY).
    pub use_stored_credentials: u32,
    /// MINIMUM_NOTIFICATION_INTERVAL_MS (500).
    pub minimum_notification_interval_ms: u32,
    /// ON_DEMAND_MODE.
    pub on_demand: bool,
}

impl Default for JobProperties {
    fn default() -> JobProperties {
        JobProperties {
            cost_flags: TRANSFER_POLICY_ALWAYS,
            notification_clsid: None,
            dynamic_content: false,
            high_performance: false,
            max_download_size: u64::MAX,
            use_stored_credentials: 0,
            minimum_notification_interval_ms: 500,
            on_demand: false,
        }
    }
}

/// What SetProperty needs to know about the job.
#[derive(Debug, Clone, Copy)]
pub struct JobFacts {
    /// Its type.
    pub job_type: JobType,
    /// It has files.
    pub has_files: bool,
    /// Resume was called on it at least once.
    pub resumed: bool,
}

impl JobProperties {
    /// GetProperty.
    pub fn get(&self, property: JobProperty) -> PropertyValue {
        match property {
            JobProperty::CostFlags => PropertyValue::Dword(self.cost_flags),
            JobProperty::NotificationClsid => PropertyValue::ClsId(self.notification_clsid.clone()),
            JobProperty::DynamicContent => PropertyValue::Enable(self.dynamic_content),
            JobProperty::HighPerformance => PropertyValue::Enable(self.high_performance),
            JobProperty::MaxDownloadSize => PropertyValue::Uint64(self.max_download_size),
            JobProperty::UseStoredCredentials => PropertyValue::Target(self.use_stored_credentials),
            JobProperty::MinimumNotificationIntervalMs => {
                PropertyValue::Dword(self.minimum_notification_interval_ms)
            }
            JobProperty::OnDemandMode => PropertyValue::Enable(self.on_demand),
        }
    }

    /// SetProperty's checks, in order, then the store.
    pub fn set(
        &mut self,
        property: JobProperty,
        value: &PropertyValue,
        job: JobFacts,
    ) -> Result<(), HResult> {
        if value.kind() != property.kind() {
            return Err(HResult::EInvalidArg);
        }
        if property.download_only() && job.job_type != JobType::Download {
            return Err(HResult::BgEPropertySupportedForDownloadJobsOnly);
        }
        match (property, value) {
            (JobProperty::CostFlags, PropertyValue::Dword(v)) => self.cost_flags = *v,
            (JobProperty::NotificationClsid, PropertyValue::ClsId(v)) => {
                self.notification_clsid = v.clone();
            }
            (JobProperty::DynamicContent, PropertyValue::Enable(v)) => {
                if job.resumed {
                    return Err(HResult::BgEReadOnlyPropertyAfterResume);
                }
                if *v && self.on_demand {
                    return Err(HResult::BgEUnsupportedJobConfiguration);
                }
                self.dynamic_content = *v;
            }
            (JobProperty::HighPerformance, PropertyValue::Enable(v)) => {
                if job.has_files {
                    return Err(HResult::BgEReadOnlyPropertyAfterAddFile);
                }
                self.high_performance = *v;
            }
            (JobProperty::MaxDownloadSize, PropertyValue::Uint64(v)) => {
                if job.resumed {
                    return Err(HResult::BgEReadOnlyPropertyAfterResume);
                }
                if *v == 0 {
                    return Err(HResult::BgEMaxDownloadSizeInvalidValue);
                }
                self.max_download_size = *v;
            }
            (JobProperty::UseStoredCredentials, PropertyValue::Target(v)) => {
                if *v != AUTH_TARGET_PROXY {
                    return Err(HResult::BgEUseStoredCredentialsNotSupported);
                }
                self.use_stored_credentials = *v;
            }
            (JobProperty::MinimumNotificationIntervalMs, PropertyValue::Dword(v)) => {
                self.minimum_notification_interval_ms = *v;
            }
            (JobProperty::OnDemandMode, PropertyValue::Enable(v)) => {
                if *v && self.dynamic_content {
                    return Err(HResult::BgEUnsupportedJobConfiguration);
                }
                self.on_demand = *v;
            }
            _ => return Err(HResult::EInvalidArg),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_bitsmsg_values_and_round_trip() {
        let values: Vec<u32> = JobProperty::ALL.iter().map(|p| p.value()).collect();
        assert_eq!(values, [1, 2, 3, 4, 5, 7, 9, 10]);
        for p in JobProperty::ALL {
            assert_eq!(JobProperty::from_value(p.value()), Some(p));
        }
        assert_eq!(JobProperty::from_value(6), None);
        assert_eq!(JobProperty::from_value(8), None);
    }

    #[test]
    fn releases_add_properties_in_order() {
        assert_eq!(
            JobPropertySet::of_release(Release::Win7),
            JobPropertySet::EMPTY
        );
        let win8: Vec<u32> = JobPropertySet::of_release(Release::Win8)
            .iter()
            .map(JobProperty::value)
            .collect();
        assert_eq!(win8, [1, 2]);
        let win10 = JobPropertySet::of_release(Release::Win10_1607);
        assert!(win10.contains(JobProperty::UseStoredCredentials));
        assert!(!win10.contains(JobProperty::OnDemandMode));
        assert_eq!(
            JobPropertySet::of_release(Release::Win10_1703)
                .iter()
                .count(),
            8
        );
    }

    fn facts(job_type: JobType, has_files: bool, resumed: bool) -> JobFacts {
        JobFacts {
            job_type,
            has_files,
            resumed,
        }
    }

    #[test]
    fn set_applies_the_documented_conditions() {
        let fresh = facts(JobType::Download, false, false);
        let mut p = JobProperties::default();
        assert_eq!(
            p.set(JobProperty::CostFlags, &PropertyValue::Enable(true), fresh),
            Err(HResult::EInvalidArg)
        );
        assert_eq!(
            p.set(
                JobProperty::DynamicContent,
                &PropertyValue::Enable(true),
                facts(JobType::Upload, false, false)
            ),
            Err(HResult::BgEPropertySupportedForDownloadJobsOnly)
        );
        assert_eq!(
            p.set(
                JobProperty::HighPerformance,
                &PropertyValue::Enable(true),
                facts(JobType::Download, true, false)
            ),
            Err(HResult::BgEReadOnlyPropertyAfterAddFile)
        );
        assert_eq!(
            p.set(
                JobProperty::MaxDownloadSize,
                &PropertyValue::Uint64(10),
                facts(JobType::Download, true, true)
            ),
            Err(HResult::BgEReadOnlyPropertyAfterResume)
        );
        assert_eq!(
            p.set(
                JobProperty::MaxDownloadSize,
                &PropertyValue::Uint64(0),
                fresh
            ),
            Err(HResult::BgEMaxDownloadSizeInvalidValue)
        );
        assert_eq!(
            p.set(
                JobProperty::UseStoredCredentials,
                &PropertyValue::Target(1),
                fresh
            ),
            Err(HResult::BgEUseStoredCredentialsNotSupported)
        );
        assert_eq!(
            p.set(
                JobProperty::DynamicContent,
                &PropertyValue::Enable(true),
                fresh
            ),
            Ok(())
        );
        assert_eq!(
            p.set(
                JobProperty::OnDemandMode,
                &PropertyValue::Enable(true),
                fresh
            ),
            Err(HResult::BgEUnsupportedJobConfiguration)
        );
        assert_eq!(
            p,
            JobProperties {
                dynamic_content: true,
                ..JobProperties::default()
            }
        );
        // The cost flags change whenever the job is not final.
        let running = facts(JobType::Upload, true, true);
        assert_eq!(
            p.set(
                JobProperty::CostFlags,
                &PropertyValue::Dword(0x8000_0021),
                running
            ),
            Ok(())
        );
        assert_eq!(
            p.get(JobProperty::CostFlags),
            PropertyValue::Dword(0x8000_0021)
        );
    }
}
