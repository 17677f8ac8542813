use super::*;
use proptest::prelude::*;
use std::collections::HashMap;

fn d(s: &str) -> NaiveDate {
    parse_date(s).unwrap()
}

fn cal() -> &'static WorkCalendar {
    WorkCalendar::official()
}

/// Every day of every covered year, decided directly from the data files without the
/// prefix sums, against the calendar's answer.
#[test]
fn every_day_of_every_covered_year_matches_the_notices() {
    let mut listed: HashMap<NaiveDate, &str> = HashMap::new();
    for (_, text) in OFFICIAL_YEARS {
        for line in text.lines().filter(|l| !l.starts_with('#') && !l.starts_with("date,")) {
            let f: Vec<&str> = line.split(',').collect();
            listed.insert(d(f[0]), if f[1] == "holiday" { "holiday" } else { "workday" });
        }
    }
    let mut day = d("2019-01-01");
    let mut checked = 0;
    while day <= d("2026-12-31") {
        let weekend = matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
        let expected = match listed.get(&day) {
            Some(&"holiday") => false,
            Some(_) => true,
            None => !weekend,
        };
        assert_eq!(cal().is_workday(day).unwrap(), expected, "{day}");
        checked += 1;
        day = day.succ_opt().unwrap();
    }
    assert_eq!(checked, 2922);
}

/// Working days per year (2020 after the Spring Festival extension; 2025 on, with the two
/// holidays added by the 2024 revision of the national holiday rules).
#[test]
fn working_days_per_year() {
    let counts: Vec<(i32, i64)> = (2019..=2026)
        .map(|y| {
            let from = NaiveDate::from_ymd_opt(y - 1, 12, 31).unwrap();
            let to = NaiveDate::from_ymd_opt(y, 12, 31).unwrap();
            // (Dec 31 of the year before, Dec 31] needs the previous year; count by hand for 2019.
            let n = if y == 2019 {
                (0..365)
                    .filter(|i| cal().is_workday(d("2019-01-01") + chrono::Days::new(*i)).unwrap())
                    .count() as i64
            } else {
                cal().workdays_between(from, to).unwrap()
            };
            (y, n)
        })
        .collect();
    expect_counts(&counts);
}

fn expect_counts(counts: &[(i32, i64)]) {
    let expected = [
        (2019, 250),
        (2020, 249),
        (2021, 250),
        (2022, 249),
        (2023, 249),
        (2024, 251),
        (2025, 248),
        (2026, 248),
    ];
    assert_eq!(counts, expected);
}

#[test]
fn makeup_workdays_and_holidays_of_2022() {
    // 劳动节 2022: 4月24日(周日)、5月7日(周六)上班; 4月30日至5月4日放假.
    assert_eq!(
        cal().day_kind(d("2022-04-24")).unwrap(),
        DayKind::MakeupWorkday { festival: "劳动节".into() }
    );
    assert!(cal().is_workday(d("2022-05-07")).unwrap());
    for h in ["2022-04-30", "2022-05-02", "2022-05-03", "2022-05-04"] {
        assert!(!cal().is_workday(d(h)).unwrap(), "{h}");
    }
    // 国庆节 2022: 10月8日、9日(周六、周日)上班.
    assert!(cal().is_workday(d("2022-10-08")).unwrap());
    assert!(cal().is_workday(d("2022-10-09")).unwrap());
    assert_eq!(cal().day_kind(d("2022-10-07")).unwrap(), DayKind::Holiday { festival: "国庆节".into() });
    assert_eq!(cal().day_kind(d("2022-04-23")).unwrap(), DayKind::Weekend);
    assert_eq!(cal().day_kind(d("2022-04-27")).unwrap(), DayKind::Workday);
}

#[test]
fn the_plan_date_plus_twenty_working_days() {
    // Arrears on 2022-04-27 (the plan's date): the day itself does not count; 4-28, 4-29,
    // then 4-30..5-4 off, 5-5, 5-6, 5-7 (调休), 5-9..5-13, 5-16..5-20, 5-23..5-27: the 20th
    // working day is 2022-05-27.
    assert_eq!(cal().add_workdays(d("2022-04-27"), 20).unwrap(), d("2022-05-27"));
    assert_eq!(cal().workdays_between(d("2022-04-27"), d("2022-05-27")).unwrap(), 20);
    assert_eq!(cal().workdays_between(d("2022-04-27"), d("2022-05-26")).unwrap(), 19);
    assert_eq!(cal().add_workdays(d("2022-04-29"), 1).unwrap(), d("2022-05-05"));
    assert_eq!(cal().add_workdays(d("2022-04-22"), 1).unwrap(), d("2022-04-24"));
}

#[test]
fn counting_across_spring_festival_2020_extension() {
    // 2020-02-01 (Sat) was to be a make-up working day; the extension made it a holiday.
    assert!(!cal().is_workday(d("2020-02-01")).unwrap());
    assert_eq!(cal().add_workdays(d("2020-01-23"), 1).unwrap(), d("2020-02-03"));
}

#[test]
fn back_from_the_first_day_off_is_out_of_range() {
    // 2019-01-01 is a holiday and the first covered day: no working day precedes it, so going
    // back from the first working day after it leaves the calendar (found by the property test).
    assert_eq!(cal().add_workdays(d("2019-01-01"), 1).unwrap(), d("2019-01-02"));
    assert!(cal().sub_workdays(d("2019-01-02"), 1).is_err());
}

#[test]
fn dates_outside_the_covered_years_are_errors() {
    let e = cal().is_workday(d("2027-01-04")).unwrap_err();
    assert_eq!(e, CalendarError::OutOfRange { date: d("2027-01-04"), first: 2019, last: 2026 });
    assert!(cal().is_workday(d("2018-12-31")).is_err());
    assert!(cal().add_workdays(d("2026-12-30"), 5).is_err());
    assert!(cal().sub_workdays(d("2019-01-03"), 5).is_err());
    assert!(cal().add_workdays(d("2022-01-01"), 0).is_err());
    assert!(e.render(i18n::Lang::Zh).contains("2019–2026"));
}

/// One sample of each variant: a new variant fails to compile here until it has one.
fn sample(v: CalendarErrorDiscriminants) -> CalendarError {
    use CalendarErrorDiscriminants as D;
    match v {
        D::OutOfRange => CalendarError::OutOfRange { date: d("2030-01-01"), first: 2019, last: 2026 },
        D::BadDate => CalendarError::BadDate { input: "x".into() },
        D::Unsupported => CalendarError::Unsupported {
            date: d("2022-01-01"),
            first: d("2000-01-01"),
            last: d("2099-12-31"),
        },
        D::BadCount => CalendarError::BadCount { n: 0 },
        D::BadData => CalendarError::BadData { line: 1, reason: "r".into() },
        D::MissingStatutory => {
            CalendarError::MissingStatutory { date: d("2027-02-06"), festival: "Spring Festival".into() }
        }
        D::YearNotCovered => CalendarError::YearNotCovered { year: 2101, first: 2019, last: 2100 },
        D::NoNotice => CalendarError::NoNotice { year: 2027 },
    }
}

#[test]
fn every_error_has_both_languages() {
    use strum::IntoEnumIterator;
    i18n::assert_all_bilingual(&CalendarErrorDiscriminants::iter().map(sample).collect::<Vec<_>>());
    assert_eq!(catalog().keys().count(), CalendarErrorDiscriminants::iter().count());
}

#[test]
fn each_year_names_its_notice() {
    assert_eq!(cal().sources().len(), 8);
    for (y, s) in cal().sources() {
        assert!(s.contains("国办发明电"), "{y}: {s}");
    }
}

#[test]
fn bad_data_is_rejected_with_its_line() {
    let e =
        WorkCalendar::from_year_files(&[(2022, "date,kind,festival\n2022-04-27,workday,x\n")]).unwrap_err();
    assert!(matches!(e, CalendarError::BadData { line: 2, .. }), "{e:?}");
    assert!(WorkCalendar::from_year_files(&[(2022, "date,kind,festival\n2023-01-01,holiday,x\n")]).is_err());
}

fn covered_date() -> impl Strategy<Value = NaiveDate> {
    (0u64..2922).prop_map(|i| d("2019-01-01") + chrono::Days::new(i))
}

proptest! {
    #[test]
    fn forward_then_back_returns_to_a_workday(day in covered_date(), n in 1u32..200) {
        if let Ok(fwd) = cal().add_workdays(day, n) {
            prop_assert!(cal().is_workday(fwd).unwrap());
            prop_assert_eq!(cal().workdays_between(day, fwd).unwrap(), i64::from(n));
            let back = cal().sub_workdays(fwd, n);
            if cal().is_workday(day).unwrap() {
                prop_assert_eq!(back, Ok(day));
            } else {
                match back {
                    // From a day off, n forward and n back lands on the last working day
                    // before it.
                    Ok(back) => {
                        prop_assert!(back < day);
                        prop_assert_eq!(cal().workdays_between(back, day).unwrap(), 0);
                    }
                    // …unless no working day of the covered years precedes it (2019-01-01).
                    Err(_) => prop_assert_eq!(cal().workdays_between(d("2019-01-01"), day).unwrap(), 0),
                }
            }
        }
    }

    #[test]
    fn between_is_antisymmetric_and_additive(a in covered_date(), b in covered_date(), c in covered_date()) {
        let ab = cal().workdays_between(a, b).unwrap();
        prop_assert_eq!(ab, -cal().workdays_between(b, a).unwrap());
        prop_assert_eq!(ab + cal().workdays_between(b, c).unwrap(), cal().workdays_between(a, c).unwrap());
    }

    #[test]
    fn add_workdays_is_the_nth_working_day_found_by_walking(day in covered_date(), n in 1u32..30) {
        if let Ok(fast) = cal().add_workdays(day, n) {
            let mut cur = day;
            let mut left = n;
            while left > 0 {
                cur = cur.succ_opt().unwrap();
                if cal().is_workday(cur).unwrap() { left -= 1; }
            }
            prop_assert_eq!(fast, cur);
        }
    }
}

#[test]
fn dates_parse_only_in_the_supported_range_and_shape() {
    assert_eq!(parse_date(" 2022-06-30 "), Ok(d("2022-06-30")));
    assert_eq!(parse_date("2000-01-01"), Ok(d("2000-01-01")));
    assert_eq!(parse_date("2099-12-31"), Ok(d("2099-12-31")));
    for typo in ["0000-01-01", "1900-01-01", "1999-12-31", "2100-01-01"] {
        let e = parse_date(typo).unwrap_err();
        assert!(matches!(e, CalendarError::Unsupported { .. }), "{typo}: {e:?}");
        assert!(e.render(i18n::Lang::Zh).contains("2000-01-01"), "{typo}");
    }
    for bad in
        ["-0001-01-01", "+2022-01-01", "22-01-01", "2022-1-1", "2022-02-30", "2022/01/01", "", "20220101"]
    {
        assert!(matches!(parse_date(bad), Err(CalendarError::BadDate { .. })), "{bad}");
    }
}

// ---------------------------------------------------------------------------------------
// Provisional years and editions (issue 11 §5)

fn standard() -> &'static WorkCalendar {
    WorkCalendar::standard()
}

/// The check of the lunar crate against the notices: every statutory day of 2019–2026 that
/// the rules in force that year give (2013 revision to 2024, 2024 revision from 2025) is a
/// day off in the official arrangement.
#[test]
fn computed_statutory_days_fall_inside_every_official_arrangement() {
    let mut checked = 0;
    for (y, text) in OFFICIAL_YEARS {
        let a = YearArrangement::parse(text, Some(*y), None, YearStatus::Embedded).unwrap();
        a.check_statutory().unwrap_or_else(|e| panic!("{y}: {e}"));
        checked += statutory::statutory_days(*y).unwrap().len();
    }
    // 11 a year under the 2013 revision (2019–2024), 13 under the 2024 revision.
    assert_eq!(checked, 6 * 11 + 2 * 13);
}

/// How close a provisional year comes to the notice, measured on the official years: the
/// days in lieu the rules give for weekend holidays against the notices' own days off.
#[test]
fn days_in_lieu_against_the_notices() {
    let (mut lieu, mut inside) = (0, 0);
    for (y, text) in OFFICIAL_YEARS {
        let a = YearArrangement::parse(text, Some(*y), None, YearStatus::Embedded).unwrap();
        for p in statutory::provisional_days(*y).unwrap().into_iter().filter(|p| p.in_lieu) {
            lieu += 1;
            if a.holidays().any(|h| h.date == p.date) {
                inside += 1;
            }
        }
    }
    // Measured: the rules give 25 days in lieu over 2019–2026, and every one of them is a day
    // off in that year's notice too (the notices add more: the breaks joined by 调休).
    assert_eq!((lieu, inside), (25, 25));
}

#[test]
fn the_standard_calendar_never_runs_out_and_says_where_it_guesses() {
    assert_eq!(standard().years(), (FIRST_YEAR, LAST_YEAR));
    assert_eq!(standard().year_info(2026).unwrap().status, YearStatus::Embedded);
    assert_eq!(standard().year_info(2027).unwrap().status, YearStatus::Provisional);
    // A problem received in late December 2026 has its deadline: 2027-01-01 (Friday) off.
    let due = standard().add_workdays(d("2026-12-25"), 7).unwrap();
    assert_eq!(due, d("2027-01-06"));
    assert_eq!(standard().provisional_years(d("2026-12-25"), due), [2027]);
    assert!(!standard().is_provisional(d("2022-04-27"), d("2022-05-27")));
    // Every answer about embedded years is the official calendar's.
    assert_eq!(standard().add_workdays(d("2022-04-27"), 20).unwrap(), d("2022-05-27"));
    // Provisional years: the statutory days and days in lieu off, no make-up working days.
    assert_eq!(
        standard().day_kind(d("2027-02-09")).unwrap(),
        DayKind::Holiday { festival: "春节（补假）".into() }
    );
    assert!(standard().is_workday(d("2027-02-11")).unwrap());
    assert_eq!(standard().day_kind(d("2027-02-13")).unwrap(), DayKind::Weekend);
    for y in 2027..=LAST_YEAR {
        let a = &WorkCalendar::standard_arrangements()[(y - FIRST_YEAR) as usize];
        assert_eq!((a.year, a.status), (y, YearStatus::Provisional));
        assert_eq!(a.makeup_workdays().count(), 0, "{y}");
        a.check_statutory().unwrap();
        assert!(a.notice.contains("国务院令第795号"), "{}", a.notice);
    }
    assert!(standard().add_workdays(d("2099-12-31"), 5).is_ok());
}

#[test]
fn a_year_file_reads_back_from_its_text() {
    let text = "# 来源 / source: 国务院办公厅关于2027年部分节假日安排的通知（示例）\n\
                date,kind,festival\n2027-01-01,holiday,元旦\n2027-02-14,workday,春节\n";
    let a = YearArrangement::parse(text, None, None, YearStatus::Official).unwrap();
    assert_eq!((a.year, a.notice.as_str()), (2027, "国务院办公厅关于2027年部分节假日安排的通知（示例）"));
    assert_eq!(YearArrangement::parse(&a.to_csv(), None, None, YearStatus::Official).unwrap(), a);
    let named =
        YearArrangement::parse(text, None, Some("国办发明电〔2026〕9号"), YearStatus::Official).unwrap();
    assert_eq!(named.notice, "国办发明电〔2026〕9号");
    // A notice must give every statutory day off.
    let e = a.check_statutory().unwrap_err();
    assert!(matches!(e, CalendarError::MissingStatutory { .. }), "{e:?}");
    for (bad, line) in [
        ("date,kind,festival\n2027-01-01,holiday,元旦\n2027-01-01,holiday,元旦\n", 3),
        ("date,kind,festival\n2027-01-01,holiday,元旦\n2028-01-01,holiday,元旦\n", 3),
        ("date,kind,festival\n2027-01-04,workday,x\n", 2),
        ("date,kind,festival\n2027-01-01,off,x\n", 2),
        ("date;kind;festival\n", 1),
    ] {
        let e = YearArrangement::parse(bad, None, None, YearStatus::Official).unwrap_err();
        assert!(matches!(e, CalendarError::BadData { line: l, .. } if l == line), "{bad}: {e:?}");
    }
}

fn example_2027() -> YearArrangement {
    let mut a = YearArrangement::provisional(2027).unwrap();
    a.status = YearStatus::Official;
    a.notice = "示例通知".into();
    // A notice would join the days in lieu into one break with make-up working days: here
    // 春节 5–13 February off, Sunday 14 February worked.
    a.days.retain(|x| x.date.month() != 2);
    for day in 5..=13 {
        a.days.push(ArrangedDay {
            date: NaiveDate::from_ymd_opt(2027, 2, day).unwrap(),
            kind: ArrangedKind::Holiday,
            festival: "春节".into(),
        });
    }
    a.days
        .push(ArrangedDay { date: d("2027-02-14"), kind: ArrangedKind::Workday, festival: "春节".into() });
    a.days.sort_by_key(|x| x.date);
    a
}

#[test]
fn editions_are_in_force_from_their_load() {
    let t = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap();
    let loaded = LoadedYear {
        id: 7,
        arrangement: example_2027(),
        loaded_at: t("2026-12-10T09:00:00+08:00"),
        loaded_by: "admin".into(),
    };
    let cals = Calendars::build(std::slice::from_ref(&loaded)).unwrap();
    assert_eq!(cals.editions().len(), 2);
    // In force from the second after the load: an event of the load's own second was judged
    // by the calendar before it.
    let before = cals.calendar_at(t("2026-12-10T09:00:00+08:00"));
    let after = cals.calendar_at(t("2026-12-10T09:00:01+08:00"));
    assert_eq!(before.add_workdays(d("2027-01-28"), 7).unwrap(), d("2027-02-12"));
    assert_eq!(after.add_workdays(d("2027-01-28"), 7).unwrap(), d("2027-02-15"));
    assert_eq!(cals.current().year_info(2027).unwrap().status, YearStatus::Official);
    assert!(!cals.current().is_provisional(d("2027-01-28"), d("2027-02-15")));
    assert_eq!(cals.latest_loads().len(), 1);
    // A second load in the same second starts strictly after the first.
    let again = LoadedYear { id: 8, loaded_at: t("2026-12-10T09:00:00.900+08:00"), ..loaded.clone() };
    let two = Calendars::build(&[loaded.clone(), again]).unwrap();
    let froms: Vec<_> = two.editions().iter().filter_map(|e| e.from).collect();
    assert_eq!(froms, [t("2026-12-10T09:00:01+08:00"), t("2026-12-10T09:00:02+08:00")]);
    // A year the calendar cannot cover is refused.
    let mut far = example_2027();
    far.year = 2101;
    far.days.clear();
    let e = Calendars::build(&[LoadedYear {
        id: 1,
        arrangement: far,
        loaded_at: t("2026-12-10T09:00:00+08:00"),
        loaded_by: "a".into(),
    }])
    .unwrap_err();
    assert!(matches!(e, CalendarError::YearNotCovered { year: 2101, .. }));
}

fn provisional_date() -> impl Strategy<Value = NaiveDate> {
    // 2027-01-01 to 2098-12-31: provisional years only, and 400 working days later is still
    // inside the covered years (to 2100).
    (0u64..26_297).prop_map(|i| d("2027-01-01") + chrono::Days::new(i))
}

proptest! {
    #[test]
    fn provisional_years_count_like_official_ones(day in provisional_date(), n in 1u32..400) {
        let fwd = standard().add_workdays(day, n).unwrap();
        prop_assert!(standard().is_workday(fwd).unwrap());
        prop_assert!(standard().is_provisional(day, fwd));
        prop_assert_eq!(standard().workdays_between(day, fwd).unwrap(), i64::from(n));
        let back = standard().sub_workdays(fwd, n).unwrap();
        if standard().is_workday(day).unwrap() {
            prop_assert_eq!(back, day);
        } else {
            prop_assert!(back < day);
            prop_assert_eq!(standard().workdays_between(back, day).unwrap(), 0);
        }
    }

    #[test]
    fn provisional_counts_agree_with_walking_day_by_day(day in provisional_date(), n in 1u32..40) {
        let fast = standard().add_workdays(day, n).unwrap();
        let mut walk = day;
        let mut left = n;
        while left > 0 {
            walk = walk.succ_opt().unwrap();
            let kind = standard().day_kind(walk).unwrap();
            let weekday = !matches!(walk.weekday(), Weekday::Sat | Weekday::Sun);
            let off = matches!(kind, DayKind::Holiday { .. });
            // No make-up working days in a provisional year: a working day is a weekday not off.
            prop_assert_eq!(kind.is_workday(), weekday && !off);
            if kind.is_workday() {
                left -= 1;
            }
        }
        prop_assert_eq!(fast, walk);
    }

    #[test]
    fn additivity_across_official_and_provisional_years(a in covered_date(), b in provisional_date(), c in provisional_date()) {
        let ab = standard().workdays_between(a, b).unwrap();
        prop_assert_eq!(ab + standard().workdays_between(b, c).unwrap(), standard().workdays_between(a, c).unwrap());
    }
}
