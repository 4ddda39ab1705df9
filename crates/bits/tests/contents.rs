//! What transfers carry (`BITS-CONTENT`): a download's temporary file
//! holds the published content once its last byte arrives, Complete gives
//! the local file exactly that, an upload publishes the local file's
//! content at the remote name, and two files can be compared.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a surprise should fail the test loudly"
)]

mod support;

use bits::{HResult, JobState, JobType, Method, Op, Profile, World};
use simos::{Comparison, Content, ThreadId};
use support::*;

fn download(w: &mut World, alice: ThreadId, remote: &str, local: &str) -> bits::PointerId {
    let job = create(w, alice, JobType::Download);
    assert_eq!(add_file(w, alice, job, remote, local), HResult::SOk);
    assert_eq!(method(w, alice, job, Method::Resume).hr, HResult::SOk);
    job
}

fn temp_of(w: &World, job: bits::PointerId) -> String {
    w.job_of(job).unwrap().files[0].temp.clone().unwrap()
}

#[test]
fn a_download_carries_the_published_content_to_the_local_file() {
    let mut w = world(Profile::Win11);
    let alice = console(&mut w, "alice", 1);
    let local = format!("{PUBLIC}\\file.bin");
    let job = download(&mut w, alice, URL, &local);
    advance(&mut w, 3);
    // Mid-transfer the temporary file exists and holds nothing yet.
    let temp = temp_of(&w, job);
    assert_eq!(w.host.file_content("WS01", &temp), Some(Content::empty()));
    advance(&mut w, 2);
    assert_eq!(state(&w, job), JobState::Transferred);
    let published = Content::derived(URL, 3000);
    assert_eq!(w.host.file_content("WS01", &temp), Some(published.clone()));
    // Nothing at the local name until Complete.
    assert_eq!(w.host.file_content("WS01", &local), None);
    let out = method(&mut w, alice, job, Method::Complete);
    assert_eq!(out.hr, HResult::SOk);
    assert!(out.rules.contains(&bits::rules::ids::CONTENT));
    assert_eq!(w.host.file_content("WS01", &local), Some(published));
    // The temporary file went, with its content.
    assert_eq!(w.host.file_content("WS01", &temp), None);
}

#[test]
fn two_downloads_of_one_url_are_the_same_and_of_two_urls_differ() {
    let mut w = world(Profile::Win11);
    let alice = console(&mut w, "alice", 1);
    ok(&w.apply(&Op::Publish {
        name: "http://web/other.bin".to_string(),
        bytes: 3000,
    }));
    let spelled = "exactly these bytes";
    ok(&w.apply(&Op::PublishContent {
        name: "http://web/text.txt".to_string(),
        content: Content::of_text(spelled),
    }));
    let files = [
        (URL, "a.bin"),
        (URL, "b.bin"),
        ("http://web/other.bin", "c.bin"),
        ("http://web/text.txt", "d.txt"),
    ];
    let mut jobs = Vec::new();
    for (remote, name) in files {
        let job = download(&mut w, alice, remote, &format!("{PUBLIC}\\{name}"));
        method(
            &mut w,
            alice,
            job,
            Method::SetPriority {
                priority: bits::job::priority::FOREGROUND,
            },
        );
        jobs.push(job);
    }
    advance(&mut w, 10);
    for job in &jobs {
        assert_eq!(state(&w, *job), JobState::Transferred);
        assert_eq!(
            method(&mut w, alice, *job, Method::Complete).hr,
            HResult::SOk
        );
    }
    let path = |n: &str| format!("{PUBLIC}\\{n}");
    let cmp = |w: &World, a: &str, b: &str| w.host.compare_files("WS01", &path(a), &path(b));
    assert_eq!(cmp(&w, "a.bin", "b.bin"), Ok(Comparison::Same));
    assert_eq!(cmp(&w, "a.bin", "c.bin"), Ok(Comparison::Different));
    assert_eq!(
        cmp(&w, "a.bin", "missing.bin"),
        Err(winsec::Win32Error::FileNotFound)
    );
    let text = w.host.file_content("WS01", &path("d.txt")).unwrap();
    assert_eq!(text, Content::of_text(spelled));
    assert_eq!(text.bytes, spelled.len() as u64);
    // The job moved as many bytes as the content has.
    assert_eq!(
        w.job_of(jobs[3]).unwrap().progress().bytes_transferred,
        spelled.len() as u64
    );
}

/// An upload gives the server the local file's content; downloading it
/// back gives a file equal to the original.
#[test]
fn an_upload_publishes_the_local_content_at_the_remote_name() {
    let mut w = world(Profile::Win11);
    let alice = console(&mut w, "alice", 1);
    let source = format!("{PUBLIC}\\report.txt");
    ok(&w.apply(&Op::Host {
        op: simos::Op::Object(simos::objects::ObjectOp::Define {
            machine: "WS01".to_string(),
            path: source.clone(),
            kind: simos::objects::ObjectKind::File,
            sddl: "O:BAG:SYD:(A;;FA;;;SY)(A;;FA;;;AU)".to_string(),
        }),
    }));
    let written = Content::of_text("quarterly figures");
    ok(&w.apply(&Op::Host {
        op: simos::Op::SetContent {
            machine: "WS01".to_string(),
            path: source.clone(),
            content: Some(written.clone()),
        },
    }));
    let remote = "http://web/upload/report.txt";
    let up = create(&mut w, alice, JobType::Upload);
    assert_eq!(add_file(&mut w, alice, up, remote, &source), HResult::SOk);
    assert_eq!(method(&mut w, alice, up, Method::Resume).hr, HResult::SOk);
    advance(&mut w, 5);
    assert_eq!(state(&w, up), JobState::Transferred);
    assert_eq!(w.bits.content.get(remote), Some(&written));
    // Download it back.
    let copy = format!("{PUBLIC}\\copy.txt");
    let down = download(&mut w, alice, remote, &copy);
    advance(&mut w, 5);
    assert_eq!(
        method(&mut w, alice, down, Method::Complete).hr,
        HResult::SOk
    );
    assert_eq!(
        w.host.compare_files("WS01", &source, &copy),
        Ok(Comparison::Same)
    );
}

#[test]
fn cancel_takes_the_partial_content_away_and_writes_nothing() {
    let mut w = world(Profile::Win11);
    let alice = console(&mut w, "alice", 1);
    let local = format!("{PUBLIC}\\file.bin");
    let job = download(&mut w, alice, URL, &local);
    advance(&mut w, 5);
    let temp = temp_of(&w, job);
    assert!(w.host.file_content("WS01", &temp).is_some());
    assert_eq!(method(&mut w, alice, job, Method::Cancel).hr, HResult::SOk);
    assert_eq!(w.host.file_content("WS01", &temp), None);
    assert_eq!(w.host.file_content("WS01", &local), None);
    assert!(w.host.contents.is_empty(), "{:?}", w.host.contents);
}
