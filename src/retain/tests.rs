use proptest::prelude::*;

use super::*;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn policy(keep: &str, from: From) -> Policy {
    Policy {
        id: "p".into(),
        title: None,
        keep: keep.parse().unwrap(),
        from,
        paths: Vec::new(),
        kinds: Vec::new(),
        action: None,
        legal_basis: None,
    }
}

fn facts<'a>(rel: &'a str, modified: &str, findings: u64, dates: &'a FindingDates) -> Facts<'a> {
    Facts {
        rel,
        modified: Some(d(modified)),
        findings,
        dates,
    }
}

#[test]
fn modified_and_path() {
    let none = FindingDates::default();
    let p = policy("5y", From::Modified);
    let r = verdict(
        &p,
        &facts("a.txt", "2019-03-01", 3, &none),
        d("2026-12-01"),
        None,
    );
    assert_eq!(r.date, Some("2019-03-01".into()));
    assert_eq!(r.keep_until, Some("2024-03-01".into()));
    assert_eq!(r.verdict, "overdue");
    assert_eq!(r.overdue_days, Some(1005));
    assert_eq!(r.findings_overdue, Some(3));

    let p = policy("5y", From::Path);
    let r = verdict(
        &p,
        &facts("kurs/kursbevis_2023.pdf", "2019-03-01", 1, &none),
        d("2026-12-01"),
        None,
    );
    assert_eq!(r.date, Some("2023-12-31".into()));
    assert_eq!(r.verdict, "keep");
    assert_eq!(r.fallback, None);
    assert_eq!(r.findings_overdue, Some(0));
    // No date in the path: the modification time, said.
    let r = verdict(
        &p,
        &facts("kurs/a.pdf", "2019-03-01", 1, &none),
        d("2026-12-01"),
        None,
    );
    assert_eq!(r.fallback.as_deref(), Some("modified"));
    assert_eq!(r.verdict, "overdue");
}

#[test]
fn due_within() {
    let none = FindingDates::default();
    let p = policy("1y", From::Modified);
    let w = Some("90d".parse().unwrap());
    let at = |m: &str| verdict(&p, &facts("a", m, 1, &none), d("2026-12-01"), w).verdict;
    let at = |m: &str| match at(m).as_str() {
        "due" => Verdict::Due,
        "keep" => Verdict::Keep,
        "overdue" => Verdict::Overdue,
        other => panic!("{other}"),
    };
    assert_eq!(
        at("2026-01-01"),
        Verdict::Due,
        "ends 2027-01-01, within 90 days"
    );
    assert_eq!(
        at("2026-03-01"),
        Verdict::Due,
        "ends 2027-03-01, 90 days ahead"
    );
    assert_eq!(at("2026-03-02"), Verdict::Keep);
    assert_eq!(at("2025-11-30"), Verdict::Overdue);
}

#[test]
fn content_counts_findings_by_their_own_dates() {
    let mut dates = FindingDates::default();
    dates.add(d("2018-11-02"), 2);
    dates.add(d("2024-06-30"), 5);
    let p = policy("360d", From::Content);
    // 7 dated findings, 2 without a date of their own; the file was modified recently.
    let r = verdict(
        &p,
        &facts("x.log", "2026-11-01", 9, &dates),
        d("2026-12-01"),
        None,
    );
    assert_eq!(r.verdict, "overdue");
    assert_eq!(r.date, Some("2018-11-02".into()));
    assert_eq!(r.oldest, Some("2018-11-02".into()));
    assert_eq!(r.newest, Some("2024-06-30".into()));
    assert_eq!(r.findings_overdue, Some(7));
    assert_eq!(r.findings_undated, Some(2));
    // An old modification time makes the undated ones overdue too.
    let r = verdict(
        &p,
        &facts("x.log", "2020-01-01", 9, &dates),
        d("2026-12-01"),
        None,
    );
    assert_eq!(r.findings_overdue, Some(9));
    assert_eq!(r.date, Some("2018-11-02".into()));
    // Nothing dated: the modification time, said.
    let none = FindingDates::default();
    let r = verdict(
        &p,
        &facts("x.log", "2026-11-01", 4, &none),
        d("2026-12-01"),
        None,
    );
    assert_eq!(r.fallback.as_deref(), Some("modified"));
    assert_eq!(r.verdict, "keep");
    assert_eq!(r.findings_overdue, Some(0));
}

proptest! {
    /// The day before keep_until, keep_until itself and the day after: keep, keep, overdue
    /// (and findings overdue only after it), for every period form and start day.
    #[test]
    fn period_boundary(
        start in 0i64..40_000,
        n in 1u32..100,
        unit in 0usize..4,
        from_content in any::<bool>(),
    ) {
        let start = d("1950-01-01") + chrono::Days::new(start as u64);
        let keep = format!("{n}{}", ["d", "w", "m", "y"][unit]);
        let from = if from_content { From::Content } else { From::Modified };
        let p = policy(&keep, from);
        let until = p.keep.after(start).unwrap();
        let mut dates = FindingDates::default();
        if from_content {
            dates.add(start, 1);
        }
        let f = Facts { rel: "a", modified: Some(start), findings: 1, dates: &dates };
        for (as_of, want, overdue) in [
            (until.pred_opt().unwrap(), Verdict::Keep, 0),
            (until, Verdict::Keep, 0),
            (until.succ_opt().unwrap(), Verdict::Overdue, 1),
        ] {
            let r = verdict(&p, &f, as_of, None);
            prop_assert_eq!(r.keep_until, Some(until.to_string()));
            prop_assert_eq!(r.verdict, want.as_str());
            prop_assert_eq!(r.findings_overdue, Some(overdue));
            prop_assert_eq!(r.overdue_days, (overdue == 1).then_some(1));
        }
    }
}

fn finding(date: Option<String>) -> Finding {
    Finding {
        kind: "email",
        rule: "email",
        confidence: crate::detect::Confidence::High,
        location: Default::default(),
        masked: String::new(),
        fingerprint: String::new(),
        checksum: None,
        synthetic: false,
        role: false,
        iban: false,
        recovered_leading_zero: false,
        scope: None,
        ocr: false,
        value: None,
        context: None,
        date,
    }
}

#[test]
fn a_record_dates_its_findings_before_and_after_its_date() {
    let mut findings = vec![finding(None), finding(None)];
    let mut dates = FindingDates::default();
    let mut p = Pending::default();
    p.listed(0, None);
    p.record_date(d("2019-05-05"), Rank::Typed);
    p.listed(1, Some(d("2020-01-01")));
    p.record_date(d("2021-01-01"), Rank::Named);
    p.record_date(d("2022-01-01"), Rank::Named);
    p.unlisted(None);
    p.end(&mut findings, &mut dates);
    let date = |f: &Finding| f.date.clone();
    assert_eq!(
        date(&findings[0]).as_deref(),
        Some("2021-01-01"),
        "the first of the highest rank"
    );
    assert_eq!(date(&findings[1]).as_deref(), Some("2021-01-01"));
    assert_eq!(dates.by_day.get(&d("2021-01-01")), Some(&3));
    // A record without a date leaves a line's date in place, and the next record starts
    // afresh.
    let mut findings = vec![finding(None), finding(None)];
    let mut dates = FindingDates::default();
    p.listed(0, Some(d("2020-01-01")));
    p.listed(1, None);
    p.unlisted(Some(d("2020-02-02")));
    p.end(&mut findings, &mut dates);
    assert_eq!(date(&findings[0]).as_deref(), Some("2020-01-01"));
    assert_eq!(date(&findings[1]), None);
    assert_eq!(dates.dated(), 2);
}

#[test]
fn line_dates_follow_the_lines() {
    let text = "2024-03-05 a x\nno date b\n05.03.2023 c d\n";
    let at = |s: &str| text.find(s).unwrap();
    let mut l = LineDates::new(text, true, None);
    assert_eq!(l.date_at(at("a")), Some(d("2024-03-05")));
    assert_eq!(l.date_at(at("x")), Some(d("2024-03-05")));
    assert_eq!(l.date_at(at("b")), None);
    assert_eq!(l.date_at(at("c")), Some(d("2023-03-05")));
    assert_eq!(l.date_at(at("d")), Some(d("2023-03-05")));
    // A chunk that starts mid-line does not know its first line's start.
    let mut l = LineDates::new(text, false, None);
    assert_eq!(l.date_at(at("a")), None);
    assert_eq!(l.date_at(at("c")), Some(d("2023-03-05")));
}
