//! The closed sets of the format: every value a scenario may write for a
//! profile, a logon type, an impersonation level, a job state, and so on,
//! as Rust enums with the spellings the format accepts.
//!
//! This module owns spellings only. What a value means is the model's:
//! the runner maps each of these enums onto the model's own type with an
//! exhaustive `match`, so a value the format accepts always means
//! something to the model. A value is kept together with the text it was
//! written as ([`Named`]), so traces show a scenario's own words.

use std::fmt;
use std::marker::PhantomData;

use schemars::gen::SchemaGenerator;
use schemars::schema::{InstanceType, Schema, SchemaObject};
use schemars::JsonSchema;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// A closed set of names.
pub trait ClosedSet: Copy + Eq + fmt::Debug + 'static {
    /// What a member is, for messages (`impersonation level`).
    const WHAT: &'static str;
    /// Every member with its canonical spelling, in documentation order.
    const ALL: &'static [(Self, &'static str)];
    /// Other spellings the format accepts for a member.
    const ALIASES: &'static [(&'static str, Self)] = &[];
    /// Whether letters may be written in either case.
    const ANY_CASE: bool = false;
    /// A prefix that may be written or left out (`BG_JOB_STATE_`).
    const PREFIX: &'static str = "";

    /// The member a text names, if any.
    fn parse(text: &str) -> Option<Self> {
        let same = |a: &str, b: &str| {
            if Self::ANY_CASE {
                a.eq_ignore_ascii_case(b)
            } else {
                a == b
            }
        };
        let bare = if Self::PREFIX.is_empty() {
            text
        } else if text.len() >= Self::PREFIX.len()
            && text.is_char_boundary(Self::PREFIX.len())
            && same(&text[..Self::PREFIX.len()], Self::PREFIX)
        {
            &text[Self::PREFIX.len()..]
        } else {
            text
        };
        Self::ALL
            .iter()
            .map(|(v, n)| (*n, *v))
            .chain(Self::ALIASES.iter().copied())
            .find(|(n, _)| same(n, bare))
            .map(|(_, v)| v)
    }

    /// The canonical spelling.
    fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(v, _)| *v == self)
            .map_or("", |(_, n)| n)
    }

    /// Every spelling the format accepts, canonical ones first.
    fn spellings() -> Vec<&'static str> {
        Self::ALL
            .iter()
            .map(|(_, n)| *n)
            .chain(Self::ALIASES.iter().map(|(n, _)| *n))
            .collect()
    }
}

/// A member of a closed set together with the text it was written as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named<T> {
    /// The member.
    pub value: T,
    /// How the scenario wrote it.
    pub text: String,
}

impl<T: ClosedSet> Named<T> {
    /// The member written with its canonical spelling.
    pub fn new(value: T) -> Named<T> {
        Named {
            value,
            text: value.name().to_string(),
        }
    }

    /// The member.
    pub fn get(&self) -> T {
        self.value
    }

    /// The member a text names, with the text.
    pub fn parse(text: &str) -> Option<Named<T>> {
        T::parse(text).map(|value| Named {
            value,
            text: text.to_string(),
        })
    }
}

impl<T> fmt::Display for Named<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// The message for a text that names no member: it follows serde's own
/// wording (`unknown …, expected one of …`) so the loader can offer the
/// nearest spelling for both.
pub fn unknown_message<T: ClosedSet>(text: &str) -> String {
    format!(
        "unknown {} `{text}`, expected one of {}",
        T::WHAT,
        T::ALL
            .iter()
            .map(|(_, n)| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

struct NamedVisitor<T>(PhantomData<T>);

impl<T: ClosedSet> Visitor<'_> for NamedVisitor<T> {
    type Value = Named<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a {}", T::WHAT)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Named<T>, E> {
        Named::parse(v).ok_or_else(|| E::custom(unknown_message::<T>(v)))
    }
}

impl<'de, T: ClosedSet> Deserialize<'de> for Named<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Named<T>, D::Error> {
        d.deserialize_str(NamedVisitor(PhantomData))
    }
}

impl<T> Serialize for Named<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<T: ClosedSet> JsonSchema for Named<T> {
    fn schema_name() -> String {
        let what: String = T::WHAT
            .split(' ')
            .map(|w| {
                let mut c = w.chars();
                c.next()
                    .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                    .unwrap_or_default()
            })
            .collect();
        what.replace('-', "")
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        Schema::Object(SchemaObject {
            instance_type: Some(InstanceType::String.into()),
            enum_values: Some(
                T::spellings()
                    .into_iter()
                    .map(|n| serde_json::Value::String(n.to_string()))
                    .collect(),
            ),
            ..SchemaObject::default()
        })
    }
}

/// Declares a closed set: an enum, its canonical spellings and aliases.
macro_rules! closed_set {
    (
        $(#[$meta:meta])*
        $name:ident : $what:literal
        $(, any_case $any:literal)?
        $(, prefix $prefix:literal)?
        {
            $( $(#[$vmeta:meta])* $variant:ident = $spelling:literal ),+ $(,)?
        }
        $( aliases { $( $alias:literal => $target:ident ),* $(,)? } )?
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl ClosedSet for $name {
            const WHAT: &'static str = $what;
            const ALL: &'static [(Self, &'static str)] = &[ $( ($name::$variant, $spelling) ),+ ];
            $( const ALIASES: &'static [(&'static str, Self)] = &[ $( ($alias, $name::$target) ),* ]; )?
            $( const ANY_CASE: bool = $any; )?
            $( const PREFIX: &'static str = $prefix; )?
        }
    };
}

closed_set! {
    /// An OS profile.
    Profile: "profile" {
        /// Windows Vista: no helper tokens.
        Vista = "vista",
        /// Windows 7.
        Win7 = "win7",
        /// Windows 10 1507.
        Win10_1507 = "win10-1507",
        /// Windows 10 1607.
        Win10_1607 = "win10-1607",
        /// Windows 11 (the default).
        Win11 = "win11",
    }
}

closed_set! {
    /// A `LogonUser` logon type.
    LogonType: "logon type" {
        /// `LOGON32_LOGON_INTERACTIVE`.
        Interactive = "interactive",
        /// `LOGON32_LOGON_NETWORK`.
        Network = "network",
        /// `LOGON32_LOGON_BATCH`.
        Batch = "batch",
        /// `LOGON32_LOGON_SERVICE`.
        Service = "service",
        /// `LOGON32_LOGON_UNLOCK`.
        Unlock = "unlock",
        /// `LOGON32_LOGON_NETWORK_CLEARTEXT`.
        NetworkCleartext = "network_cleartext",
        /// `LOGON32_LOGON_NEW_CREDENTIALS`.
        NewCredentials = "new_credentials",
    }
}

closed_set! {
    /// An impersonation level (`SECURITY_IMPERSONATION_LEVEL`); the
    /// Windows names (`SecurityImpersonation`) and COM's verbs
    /// (`impersonate`) are accepted too, in any case.
    Level: "impersonation level", any_case true, prefix "Security" {
        /// `SecurityAnonymous`.
        Anonymous = "anonymous",
        /// `SecurityIdentification`.
        Identification = "identification",
        /// `SecurityImpersonation`.
        Impersonation = "impersonation",
        /// `SecurityDelegation`.
        Delegation = "delegation",
    }
    aliases { "identify" => Identification, "impersonate" => Impersonation, "delegate" => Delegation }
}

closed_set! {
    /// A token's type: primary, or an impersonation token at a level.
    TokenKind: "token type", any_case true, prefix "Security" {
        /// A primary token.
        Primary = "primary",
        /// Impersonation at `SecurityAnonymous`.
        Anonymous = "anonymous",
        /// Impersonation at `SecurityIdentification`.
        Identification = "identification",
        /// Impersonation at `SecurityImpersonation`.
        Impersonation = "impersonation",
        /// Impersonation at `SecurityDelegation`.
        Delegation = "delegation",
    }
    aliases { "identify" => Identification, "impersonate" => Impersonation, "delegate" => Delegation }
}

closed_set! {
    /// COM cloaking.
    Cloaking: "cloaking" {
        /// No cloaking: the process token.
        None = "none",
        /// Static cloaking.
        Static = "static",
        /// Dynamic cloaking: the thread token at each call.
        Dynamic = "dynamic",
    }
}

closed_set! {
    /// `BG_JOB_TYPE`.
    JobType: "job type" {
        /// `BG_JOB_TYPE_DOWNLOAD`.
        Download = "download",
        /// `BG_JOB_TYPE_UPLOAD`.
        Upload = "upload",
        /// `BG_JOB_TYPE_UPLOAD_REPLY`.
        UploadReply = "upload_reply",
    }
}

closed_set! {
    /// `BG_JOB_STATE`, with or without its `BG_JOB_STATE_` prefix.
    JobState: "job state", any_case true, prefix "BG_JOB_STATE_" {
        /// Waiting to run.
        Queued = "QUEUED",
        /// Connecting to the server.
        Connecting = "CONNECTING",
        /// Transferring.
        Transferring = "TRANSFERRING",
        /// Suspended.
        Suspended = "SUSPENDED",
        /// A fatal error.
        Error = "ERROR",
        /// A recoverable error.
        TransientError = "TRANSIENT_ERROR",
        /// Every file transferred.
        Transferred = "TRANSFERRED",
        /// Completed.
        Acknowledged = "ACKNOWLEDGED",
        /// Cancelled.
        Cancelled = "CANCELLED",
    }
}

closed_set! {
    /// How a new thread starts (and whether it inherits impersonation).
    ThreadStart: "thread start" {
        /// `CreateThread`.
        Native = "native",
        /// `new Thread(...)`.
        ManagedThread = "managed_thread",
        /// `ThreadPool.QueueUserWorkItem`.
        QueueUserWorkItem = "queue_user_work_item",
        /// `ThreadPool.UnsafeQueueUserWorkItem`.
        UnsafeQueueUserWorkItem = "unsafe_queue_user_work_item",
        /// An asynchronous delegate (`BeginInvoke`).
        AsyncDelegate = "async_delegate",
        /// A call to an STA COM object.
        StaComCall = "sta_com_call",
    }
}

closed_set! {
    /// The .NET flow settings of a process (aspnet.config).
    Flow: "flow policy" {
        /// ASP.NET's defaults: legacy impersonation policy on.
        Aspnet = "aspnet",
        /// The CLR's defaults.
        Clr = "clr",
        /// `alwaysFlowImpersonationPolicy` on.
        AlwaysFlow = "always_flow",
    }
}

closed_set! {
    /// Whether the network is up.
    NetworkState: "network state" {
        /// It comes back.
        Up = "up",
        /// It goes down.
        Down = "down",
    }
}

closed_set! {
    /// A resource the transfer engine reaches for a job.
    Resource: "resource" {
        /// The local file.
        LocalFile = "local_file",
        /// The remote server.
        Remote = "remote",
        /// The client certificate's private key.
        ClientCertificate = "client_certificate",
    }
}

closed_set! {
    /// Whose identity BITS used for a resource.
    Acting: "identity" {
        /// The job owner's.
        Owner = "owner",
        /// The helper token's.
        Helper = "helper",
        /// Explicit credentials.
        Explicit = "explicit",
        /// Nobody's: anonymous.
        Anonymous = "anonymous",
    }
}

closed_set! {
    /// A kind of securable object.
    ObjectKind: "object kind" {
        /// A file.
        File = "file",
        /// A directory.
        Directory = "directory",
        /// A certificate's private key.
        CertificatePrivateKey = "certificate_private_key",
        /// A registry key.
        RegistryKey = "registry_key",
        /// An event object.
        Event = "event",
        /// A mutex.
        Mutant = "mutant",
    }
}

closed_set! {
    /// An ACL of a security descriptor, as `AutoInheritFlags` name it.
    AclPart: "ACL" {
        /// The DACL (`SEF_DACL_AUTO_INHERIT`).
        Dacl = "dacl",
        /// The SACL (`SEF_SACL_AUTO_INHERIT`).
        Sacl = "sacl",
    }
}

closed_set! {
    /// A kind of remote server.
    ServerKind: "server kind" {
        /// An SMB share.
        SmbShare = "smb_share",
        /// A web server.
        Http = "http",
        /// A SQL server.
        Sql = "sql",
        /// A proxy.
        Proxy = "proxy",
    }
}

closed_set! {
    /// An authentication scheme a server accepts.
    AuthScheme: "authentication" {
        /// No authentication.
        Anonymous = "anonymous",
        /// HTTP Basic.
        Basic = "basic",
        /// Digest.
        Digest = "digest",
        /// NTLM.
        Ntlm = "ntlm",
        /// Kerberos.
        Kerberos = "kerberos",
        /// Negotiate (Kerberos, else NTLM).
        Negotiate = "negotiate",
    }
}

closed_set! {
    /// How an IIS site authenticates browsers.
    SiteAuthentication: "site authentication" {
        /// Anonymous (IUSR, an account, or the pool).
        Anonymous = "anonymous",
        /// Basic.
        Basic = "basic",
        /// Digest.
        Digest = "digest",
        /// Integrated Windows authentication, NTLM.
        IwaNtlm = "iwa_ntlm",
        /// Integrated Windows authentication, Kerberos.
        IwaKerberos = "iwa_kerberos",
        /// A client certificate mapped by IIS.
        ClientCertificateIis = "client_certificate_iis",
        /// A client certificate mapped by Active Directory.
        ClientCertificateAd = "client_certificate_ad",
    }
}

closed_set! {
    /// The managed pipeline of an app pool.
    Pipeline: "pipeline" {
        /// The classic pipeline.
        Classic = "classic",
        /// The integrated pipeline with configuration validation.
        Integrated = "integrated",
        /// The integrated pipeline without it.
        IntegratedNoValidation = "integrated_no_validation",
    }
}

closed_set! {
    /// How an identity reached a remote server.
    Via: "mechanism" {
        /// The logon session's own credentials.
        Credentials = "credentials",
        /// `LOGON32_LOGON_NEW_CREDENTIALS` credentials.
        NewCredentials = "new_credentials",
        /// The machine account.
        MachineAccount = "machine_account",
        /// Unconstrained delegation.
        Unconstrained = "unconstrained",
        /// Constrained delegation.
        Constrained = "constrained",
        /// Resource-based constrained delegation.
        ResourceBased = "resource_based",
        /// Nobody: ANONYMOUS LOGON.
        Anonymous = "anonymous",
    }
}

closed_set! {
    /// A COM interface of BITS (every one the BITS reference documents;
    /// QueryInterface for one the profile's release lacks returns
    /// E_NOINTERFACE when it runs).
    Interface: "interface" {
        /// `IBackgroundCopyManager`.
        Manager = "IBackgroundCopyManager",
        /// `IBackgroundCopyJob`.
        Job = "IBackgroundCopyJob",
        /// `IBackgroundCopyJob2`.
        Job2 = "IBackgroundCopyJob2",
        /// `IBackgroundCopyJob3`.
        Job3 = "IBackgroundCopyJob3",
        /// `IBackgroundCopyJob4`.
        Job4 = "IBackgroundCopyJob4",
        /// `IBackgroundCopyJob5`.
        Job5 = "IBackgroundCopyJob5",
        /// `IBackgroundCopyJobHttpOptions`.
        HttpOptions = "IBackgroundCopyJobHttpOptions",
        /// `IBackgroundCopyJobHttpOptions2`.
        HttpOptions2 = "IBackgroundCopyJobHttpOptions2",
        /// `IBackgroundCopyJobHttpOptions3`.
        HttpOptions3 = "IBackgroundCopyJobHttpOptions3",
        /// `IBitsTokenOptions`.
        TokenOptions = "IBitsTokenOptions",
        /// `IBackgroundCopyFile`.
        File = "IBackgroundCopyFile",
        /// `IBackgroundCopyFile2`.
        File2 = "IBackgroundCopyFile2",
        /// `IBackgroundCopyFile3`.
        File3 = "IBackgroundCopyFile3",
        /// `IBackgroundCopyFile4`.
        File4 = "IBackgroundCopyFile4",
        /// `IBackgroundCopyFile5`.
        File5 = "IBackgroundCopyFile5",
        /// `IBackgroundCopyFile6`.
        File6 = "IBackgroundCopyFile6",
        /// `IEnumBackgroundCopyJobs`.
        EnumJobs = "IEnumBackgroundCopyJobs",
        /// `IEnumBackgroundCopyFiles`.
        EnumFiles = "IEnumBackgroundCopyFiles",
        /// `IBackgroundCopyError`.
        Error = "IBackgroundCopyError",
        /// `IBackgroundCopyCallback`.
        Callback = "IBackgroundCopyCallback",
        /// `IBackgroundCopyCallback2`.
        Callback2 = "IBackgroundCopyCallback2",
        /// `IBackgroundCopyCallback3`.
        Callback3 = "IBackgroundCopyCallback3",
        /// `IBackgroundCopyServerCertificateValidationCallback`.
        ServerCertificateValidationCallback = "IBackgroundCopyServerCertificateValidationCallback",
        /// `IBitsPeerCacheAdministration`.
        PeerCacheAdministration = "IBitsPeerCacheAdministration",
        /// `IBitsPeerCacheRecord`.
        PeerCacheRecord = "IBitsPeerCacheRecord",
        /// `IBitsPeer`.
        Peer = "IBitsPeer",
        /// `IEnumBitsPeerCacheRecords`.
        EnumPeerCacheRecords = "IEnumBitsPeerCacheRecords",
        /// `IEnumBitsPeers`.
        EnumPeers = "IEnumBitsPeers",
    }
}

closed_set! {
    /// `BG_ERROR_CONTEXT`, with or without its `BG_ERROR_CONTEXT_` prefix.
    ErrorContext: "error context", prefix "BG_ERROR_CONTEXT_" {
        /// No context.
        None = "NONE",
        /// Unknown.
        Unknown = "UNKNOWN",
        /// The queue manager itself.
        GeneralQueueManager = "GENERAL_QUEUE_MANAGER",
        /// The notification callback.
        QueueManagerNotification = "QUEUE_MANAGER_NOTIFICATION",
        /// The local file.
        LocalFile = "LOCAL_FILE",
        /// The remote file.
        RemoteFile = "REMOTE_FILE",
        /// The transport (network, proxy, certificates).
        GeneralTransport = "GENERAL_TRANSPORT",
        /// The server application (upload-reply).
        RemoteApplication = "REMOTE_APPLICATION",
    }
}

closed_set! {
    /// `BITS_JOB_PROPERTY_ID`, by its Windows name.
    JobProperty: "job property" {
        /// 1: the transfer policy over costed networks.
        CostFlags = "BITS_JOB_PROPERTY_ID_COST_FLAGS",
        /// 2: the CLSID of a COM callback server.
        NotificationClsid = "BITS_JOB_PROPERTY_NOTIFICATION_CLSID",
        /// 3: dynamic content.
        DynamicContent = "BITS_JOB_PROPERTY_DYNAMIC_CONTENT",
        /// 4: high performance.
        HighPerformance = "BITS_JOB_PROPERTY_HIGH_PERFORMANCE",
        /// 5: the most bytes the job may download.
        MaxDownloadSize = "BITS_JOB_PROPERTY_MAX_DOWNLOAD_SIZE",
        /// 7: stored credentials for the proxy.
        UseStoredCredentials = "BITS_JOB_PROPERTY_USE_STORED_CREDENTIALS",
        /// 9: the minimum notification interval.
        MinimumNotificationIntervalMs = "BITS_JOB_PROPERTY_MINIMUM_NOTIFICATION_INTERVAL_MS",
        /// 10: on-demand mode.
        OnDemandMode = "BITS_JOB_PROPERTY_ON_DEMAND_MODE",
    }
}

closed_set! {
    /// The type of a claim's values.
    ClaimType: "claim type" {
        /// `CLAIM_SECURITY_ATTRIBUTE_TYPE_INT64`.
        Int64 = "int64",
        /// `CLAIM_SECURITY_ATTRIBUTE_TYPE_UINT64`.
        Uint64 = "uint64",
        /// `CLAIM_SECURITY_ATTRIBUTE_TYPE_STRING`.
        String = "string",
        /// `CLAIM_SECURITY_ATTRIBUTE_TYPE_SID`.
        Sid = "sid",
        /// `CLAIM_SECURITY_ATTRIBUTE_TYPE_BOOLEAN`.
        Boolean = "boolean",
        /// `CLAIM_SECURITY_ATTRIBUTE_TYPE_OCTET_STRING`.
        OctetString = "octet_string",
    }
}

closed_set! {
    /// A mandatory integrity level.
    Integrity: "integrity level", any_case true {
        /// Untrusted (S-1-16-0).
        Untrusted = "untrusted",
        /// Low (S-1-16-4096).
        Low = "low",
        /// Medium (S-1-16-8192).
        Medium = "medium",
        /// Medium plus (S-1-16-8448).
        MediumPlus = "medium_plus",
        /// High (S-1-16-12288).
        High = "high",
        /// System (S-1-16-16384).
        System = "system",
        /// Protected process (S-1-16-20480).
        ProtectedProcess = "protected",
    }
}

closed_set! {
    /// `TOKEN_ELEVATION_TYPE`.
    Elevation: "elevation type", any_case true, prefix "TokenElevationType" {
        /// `TokenElevationTypeDefault`: no split token.
        Default = "default",
        /// `TokenElevationTypeFull`: the elevated half.
        Full = "full",
        /// `TokenElevationTypeLimited`: the filtered half.
        Limited = "limited",
    }
}

/// Named constants a scenario may write for numbers.
pub const CONSTANTS: &[(&str, u32)] = &[
    ("BG_TOKEN_LOCAL_FILE", 1),
    ("BG_TOKEN_NETWORK", 2),
    ("BG_NOTIFY_JOB_TRANSFERRED", 1),
    ("BG_NOTIFY_JOB_ERROR", 2),
    ("BG_NOTIFY_DISABLE", 4),
    ("BG_NOTIFY_JOB_MODIFICATION", 8),
    ("BG_NOTIFY_FILE_TRANSFERRED", 0x10),
    ("BG_NOTIFY_FILE_RANGES_TRANSFERRED", 0x20),
    ("BG_JOB_PRIORITY_FOREGROUND", 0),
    ("BG_JOB_PRIORITY_HIGH", 1),
    ("BG_JOB_PRIORITY_NORMAL", 2),
    ("BG_JOB_PRIORITY_LOW", 3),
    ("BG_AUTH_TARGET_SERVER", 1),
    ("BG_AUTH_TARGET_PROXY", 2),
    ("BG_AUTH_SCHEME_BASIC", 1),
    ("BG_AUTH_SCHEME_DIGEST", 2),
    ("BG_AUTH_SCHEME_NTLM", 3),
    ("BG_AUTH_SCHEME_NEGOTIATE", 4),
    ("BG_AUTH_SCHEME_PASSPORT", 5),
    ("BG_JOB_PROXY_USAGE_PRECONFIG", 0),
    ("BG_JOB_PROXY_USAGE_NO_PROXY", 1),
    ("BG_JOB_PROXY_USAGE_OVERRIDE", 2),
    ("BG_JOB_PROXY_USAGE_AUTODETECT", 3),
    ("BG_SSL_ENABLE_CRL_CHECK", 1),
    ("BG_SSL_IGNORE_CERT_CN_INVALID", 2),
    ("BG_SSL_IGNORE_CERT_DATE_INVALID", 4),
    ("BG_SSL_IGNORE_UNKNOWN_CA", 8),
    ("BG_SSL_IGNORE_CERT_WRONG_USAGE", 0x10),
];

/// A number written as decimal, hex, or constant names joined with `|`.
pub fn parse_flags(text: &str) -> Option<u32> {
    let mut value = 0u32;
    for part in text.split('|') {
        let part = part.trim();
        let n = if let Some(hex) = part.strip_prefix("0x").or_else(|| part.strip_prefix("0X")) {
            u32::from_str_radix(hex, 16).ok()?
        } else if let Ok(n) = part.parse::<u32>() {
            n
        } else {
            CONSTANTS.iter().find(|(n, _)| *n == part)?.1
        };
        value |= n;
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_parse_back_to_their_member() {
        for (v, n) in Level::ALL {
            assert_eq!(Level::parse(n), Some(*v));
        }
        assert_eq!(
            Level::parse("SecurityImpersonation"),
            Some(Level::Impersonation)
        );
        assert_eq!(Level::parse("Identify"), Some(Level::Identification));
        assert_eq!(JobState::parse("BG_JOB_STATE_ERROR"), Some(JobState::Error));
        assert_eq!(JobState::parse("transferred"), Some(JobState::Transferred));
        assert_eq!(Profile::parse("WIN7"), None);
        assert_eq!(Profile::parse("win10"), None);
    }

    #[test]
    fn an_unknown_name_lists_the_canonical_spellings() {
        let m = unknown_message::<Cloaking>("dynamc");
        assert_eq!(
            m,
            "unknown cloaking `dynamc`, expected one of `none`, `static`, `dynamic`"
        );
    }
}
