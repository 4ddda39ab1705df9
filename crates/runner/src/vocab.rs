//! The format's closed sets onto the model's types: one exhaustive
//! `match` per set, so every value a scenario may write means exactly one
//! thing to the model, and a new member of a set cannot be forgotten here.

use scenario::names;
use simos::{Cloaking, FlowPolicy, LogonType, ThreadStart};
use winsec::{ElevationType, ImpersonationLevel, IntegrityLevel, TokenType};

/// An OS profile.
pub fn profile(p: names::Profile) -> bits::Profile {
    match p {
        names::Profile::Vista => bits::Profile::Vista,
        names::Profile::Win7 => bits::Profile::Win7,
        names::Profile::Win10_1507 => bits::Profile::Win10_1507,
        names::Profile::Win10_1607 => bits::Profile::Win10_1607,
        names::Profile::Win11 => bits::Profile::Win11,
    }
}

/// A logon type.
pub fn logon_type(t: names::LogonType) -> LogonType {
    match t {
        names::LogonType::Interactive => LogonType::Interactive,
        names::LogonType::Network => LogonType::Network,
        names::LogonType::Batch => LogonType::Batch,
        names::LogonType::Service => LogonType::Service,
        names::LogonType::Unlock => LogonType::Unlock,
        names::LogonType::NetworkCleartext => LogonType::NetworkCleartext,
        names::LogonType::NewCredentials => LogonType::NewCredentials,
    }
}

/// An impersonation level.
pub fn level(l: names::Level) -> ImpersonationLevel {
    match l {
        names::Level::Anonymous => ImpersonationLevel::Anonymous,
        names::Level::Identification => ImpersonationLevel::Identification,
        names::Level::Impersonation => ImpersonationLevel::Impersonation,
        names::Level::Delegation => ImpersonationLevel::Delegation,
    }
}

/// A token type.
pub fn token_type(k: names::TokenKind) -> TokenType {
    match k {
        names::TokenKind::Primary => TokenType::Primary,
        names::TokenKind::Anonymous => TokenType::Impersonation(ImpersonationLevel::Anonymous),
        names::TokenKind::Identification => {
            TokenType::Impersonation(ImpersonationLevel::Identification)
        }
        names::TokenKind::Impersonation => {
            TokenType::Impersonation(ImpersonationLevel::Impersonation)
        }
        names::TokenKind::Delegation => TokenType::Impersonation(ImpersonationLevel::Delegation),
    }
}

/// COM cloaking.
pub fn cloaking(c: names::Cloaking) -> Cloaking {
    match c {
        names::Cloaking::None => Cloaking::None,
        names::Cloaking::Static => Cloaking::Static,
        names::Cloaking::Dynamic => Cloaking::Dynamic,
    }
}

/// A job type.
pub fn job_type(t: names::JobType) -> bits::JobType {
    match t {
        names::JobType::Download => bits::JobType::Download,
        names::JobType::Upload => bits::JobType::Upload,
        names::JobType::UploadReply => bits::JobType::UploadReply,
    }
}

/// A job state.
pub fn job_state(s: names::JobState) -> bits::JobState {
    match s {
        names::JobState::Queued => bits::JobState::Queued,
        names::JobState::Connecting => bits::JobState::Connecting,
        names::JobState::Transferring => bits::JobState::Transferring,
        names::JobState::Suspended => bits::JobState::Suspended,
        names::JobState::Error => bits::JobState::Error,
        names::JobState::TransientError => bits::JobState::TransientError,
        names::JobState::Transferred => bits::JobState::Transferred,
        names::JobState::Acknowledged => bits::JobState::Acknowledged,
        names::JobState::Cancelled => bits::JobState::Cancelled,
    }
}

/// How a thread starts.
pub fn thread_start(t: names::ThreadStart) -> ThreadStart {
    match t {
        names::ThreadStart::Native => ThreadStart::Native,
        names::ThreadStart::ManagedThread => ThreadStart::ManagedThread,
        names::ThreadStart::QueueUserWorkItem => ThreadStart::QueueUserWorkItem,
        names::ThreadStart::UnsafeQueueUserWorkItem => ThreadStart::UnsafeQueueUserWorkItem,
        names::ThreadStart::AsyncDelegate => ThreadStart::AsyncDelegate,
        names::ThreadStart::StaComCall => ThreadStart::StaComCall,
    }
}

/// A process's .NET flow policy.
pub fn flow_policy(f: names::Flow) -> FlowPolicy {
    match f {
        names::Flow::Aspnet => FlowPolicy::ASPNET_DEFAULT,
        names::Flow::Clr => FlowPolicy::CLR_DEFAULT,
        names::Flow::AlwaysFlow => FlowPolicy {
            legacy_impersonation_policy: false,
            always_flow_impersonation_policy: true,
        },
    }
}

/// A resource of a job.
pub fn resource(r: names::Resource) -> bits::Resource {
    match r {
        names::Resource::LocalFile => bits::Resource::LocalFile,
        names::Resource::Remote => bits::Resource::Remote,
        names::Resource::ClientCertificate => bits::Resource::ClientCertificate,
    }
}

/// Whose identity BITS used.
pub fn acting(a: names::Acting) -> bits::Acting {
    match a {
        names::Acting::Owner => bits::Acting::Owner,
        names::Acting::Helper => bits::Acting::Helper,
        names::Acting::Explicit => bits::Acting::Explicit,
        names::Acting::Anonymous => bits::Acting::Anonymous,
    }
}

/// A kind of securable object.
pub fn object_kind(k: names::ObjectKind) -> simos::objects::ObjectKind {
    use simos::objects::ObjectKind;
    match k {
        names::ObjectKind::File => ObjectKind::File,
        names::ObjectKind::Directory => ObjectKind::Directory,
        names::ObjectKind::CertificatePrivateKey => ObjectKind::CertificatePrivateKey,
        names::ObjectKind::RegistryKey => ObjectKind::RegistryKey,
        names::ObjectKind::Event => ObjectKind::Event,
        names::ObjectKind::Mutant => ObjectKind::Mutant,
    }
}

/// A kind of server.
pub fn server_kind(k: names::ServerKind) -> simos::network::ServerKind {
    use simos::network::ServerKind;
    match k {
        names::ServerKind::SmbShare => ServerKind::SmbShare,
        names::ServerKind::Http => ServerKind::Http,
        names::ServerKind::Sql => ServerKind::Sql,
        names::ServerKind::Proxy => ServerKind::Proxy,
    }
}

/// An authentication scheme.
pub fn auth_scheme(a: names::AuthScheme) -> simos::network::AuthScheme {
    use simos::network::AuthScheme;
    match a {
        names::AuthScheme::Anonymous => AuthScheme::Anonymous,
        names::AuthScheme::Basic => AuthScheme::Basic,
        names::AuthScheme::Digest => AuthScheme::Digest,
        names::AuthScheme::Ntlm => AuthScheme::Ntlm,
        names::AuthScheme::Kerberos => AuthScheme::Kerberos,
        names::AuthScheme::Negotiate => AuthScheme::Negotiate,
    }
}

/// How an identity reached a server.
pub fn mechanism(v: names::Via) -> simos::network::Mechanism {
    use simos::network::Mechanism;
    match v {
        names::Via::Credentials => Mechanism::Credentials,
        names::Via::NewCredentials => Mechanism::NewCredentials,
        names::Via::MachineAccount => Mechanism::MachineAccount,
        names::Via::Unconstrained => Mechanism::Unconstrained,
        names::Via::Constrained => Mechanism::Constrained,
        names::Via::ResourceBased => Mechanism::ResourceBased,
        names::Via::Anonymous => Mechanism::Anonymous,
    }
}

/// A BITS interface.
pub fn interface(i: names::Interface) -> bits::Interface {
    match i {
        names::Interface::Manager => bits::Interface::Manager,
        names::Interface::Job => bits::Interface::Job,
        names::Interface::Job2 => bits::Interface::Job2,
        names::Interface::Job3 => bits::Interface::Job3,
        names::Interface::Job4 => bits::Interface::Job4,
        names::Interface::Job5 => bits::Interface::Job5,
        names::Interface::HttpOptions => bits::Interface::HttpOptions,
        names::Interface::HttpOptions2 => bits::Interface::HttpOptions2,
        names::Interface::HttpOptions3 => bits::Interface::HttpOptions3,
        names::Interface::TokenOptions => bits::Interface::TokenOptions,
        names::Interface::File => bits::Interface::File,
        names::Interface::File2 => bits::Interface::File2,
        names::Interface::File3 => bits::Interface::File3,
        names::Interface::File4 => bits::Interface::File4,
        names::Interface::File5 => bits::Interface::File5,
        names::Interface::File6 => bits::Interface::File6,
        names::Interface::EnumJobs => bits::Interface::EnumJobs,
        names::Interface::EnumFiles => bits::Interface::EnumFiles,
        names::Interface::Error => bits::Interface::Error,
        names::Interface::Callback => bits::Interface::Callback,
        names::Interface::Callback2 => bits::Interface::Callback2,
        names::Interface::Callback3 => bits::Interface::Callback3,
        names::Interface::ServerCertificateValidationCallback => {
            bits::Interface::ServerCertificateValidationCallback
        }
        names::Interface::PeerCacheAdministration => bits::Interface::PeerCacheAdministration,
        names::Interface::PeerCacheRecord => bits::Interface::PeerCacheRecord,
        names::Interface::Peer => bits::Interface::Peer,
        names::Interface::EnumPeerCacheRecords => bits::Interface::EnumPeerCacheRecords,
        names::Interface::EnumPeers => bits::Interface::EnumPeers,
    }
}

/// An integrity level.
pub fn integrity(i: names::Integrity) -> IntegrityLevel {
    match i {
        names::Integrity::Untrusted => IntegrityLevel::UNTRUSTED,
        names::Integrity::Low => IntegrityLevel::LOW,
        names::Integrity::Medium => IntegrityLevel::MEDIUM,
        names::Integrity::MediumPlus => IntegrityLevel::MEDIUM_PLUS,
        names::Integrity::High => IntegrityLevel::HIGH,
        names::Integrity::System => IntegrityLevel::SYSTEM,
        names::Integrity::ProtectedProcess => IntegrityLevel::PROTECTED,
    }
}

/// An elevation type.
pub fn elevation(e: names::Elevation) -> ElevationType {
    match e {
        names::Elevation::Default => ElevationType::Default,
        names::Elevation::Full => ElevationType::Full,
        names::Elevation::Limited => ElevationType::Limited,
    }
}

/// A job's error context.
pub fn error_context(c: names::ErrorContext) -> bits::ErrorContext {
    match c {
        names::ErrorContext::None => bits::ErrorContext::None,
        names::ErrorContext::Unknown => bits::ErrorContext::Unknown,
        names::ErrorContext::GeneralQueueManager => bits::ErrorContext::GeneralQueueManager,
        names::ErrorContext::QueueManagerNotification => {
            bits::ErrorContext::QueueManagerNotification
        }
        names::ErrorContext::LocalFile => bits::ErrorContext::LocalFile,
        names::ErrorContext::RemoteFile => bits::ErrorContext::RemoteFile,
        names::ErrorContext::GeneralTransport => bits::ErrorContext::GeneralTransport,
        names::ErrorContext::RemoteApplication => bits::ErrorContext::RemoteApplication,
    }
}

/// A job property.
pub fn job_property(p: names::JobProperty) -> bits::properties::JobProperty {
    use bits::properties::JobProperty;
    match p {
        names::JobProperty::CostFlags => JobProperty::CostFlags,
        names::JobProperty::NotificationClsid => JobProperty::NotificationClsid,
        names::JobProperty::DynamicContent => JobProperty::DynamicContent,
        names::JobProperty::HighPerformance => JobProperty::HighPerformance,
        names::JobProperty::MaxDownloadSize => JobProperty::MaxDownloadSize,
        names::JobProperty::UseStoredCredentials => JobProperty::UseStoredCredentials,
        names::JobProperty::MinimumNotificationIntervalMs => {
            JobProperty::MinimumNotificationIntervalMs
        }
        names::JobProperty::OnDemandMode => JobProperty::OnDemandMode,
    }
}
