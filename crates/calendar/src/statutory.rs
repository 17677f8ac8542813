//! The statutory holidays (法定节假日) of a year, computed by the State Council's 《全国年节及纪念日放假办法》
//! on the lunar calendar and the solar terms: what a year is assumed to hold until its yearly
//! notice is loaded (a **provisional** year).
//!
//! 第二条 of the rules gives the days every citizen has off:
//!
//! | festival | 2013 revision (国务院令第644号, 2014–2024) | 2024 revision (国务院令第795号, from 2025) |
//! |---|---|---|
//! | 元旦 | 1 January | 1 January |
//! | 春节 | 正月初一至初三 | 农历除夕、正月初一至初三 |
//! | 清明节 | the day of the solar term 清明 | the same |
//! | 劳动节 | 1 May | 1 and 2 May |
//! | 端午节 | 五月初五 | the same |
//! | 中秋节 | 八月十五 | the same |
//! | 国庆节 | 1–3 October | the same |
//!
//! 第六条 (both revisions): "全体公民放假的假日，如果适逢周六、周日，应当在工作日补假". A provisional
//! year gives each such day a day off in lieu (补假) on the first working days after the
//! festival. Where two festivals fall on the same day (中秋节 on 1–3 October, as in 2020,
//! 2028, 2031), the day is given in lieu the same way: the statute grants both holidays, and
//! the notices of such years did (2020: 国庆节、中秋节 8 days). A provisional year has no
//! make-up working days (调休上班): those only a notice declares.
//!
//! Lunar dates and the solar term come from the `tyme4rs` crate (the 寿星天文历 algorithms). It
//! agrees with the official arrangements of 2019–2026 (every statutory day falls inside the
//! notice's holidays; tested), and with the Hong Kong Observatory's table for 1900–2100 for
//! every festival of 2019–2100 but one: 中秋节 2089, where the new moon of the eighth month
//! falls within minutes of midnight and the computed 18 September differs from the table's
//! 19 September (docs/CALENDAR.md). The 2033 leap month (the 2033 problem) comes out as the
//! official 闰十一月, so 中秋节 2033 is 8 September.

use chrono::{Datelike, Days, NaiveDate, Weekday};
use std::collections::BTreeMap;

/// A festival of 第二条 (the names are the data files' `festival` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Festival {
    NewYear,
    SpringFestival,
    Qingming,
    Labour,
    DragonBoat,
    MidAutumn,
    National,
}

impl Festival {
    pub const ALL: [Festival; 7] = [
        Festival::NewYear,
        Festival::SpringFestival,
        Festival::Qingming,
        Festival::Labour,
        Festival::DragonBoat,
        Festival::MidAutumn,
        Festival::National,
    ];

    /// The name as the notices and the data files write it.
    pub fn name_zh(self) -> &'static str {
        match self {
            Festival::NewYear => "元旦",
            Festival::SpringFestival => "春节",
            Festival::Qingming => "清明节",
            Festival::Labour => "劳动节",
            Festival::DragonBoat => "端午节",
            Festival::MidAutumn => "中秋节",
            Festival::National => "国庆节",
        }
    }
}

/// Which revision of the rules decides a year's statutory days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rules {
    /// 2013 revision (国务院令第644号), in force 2014-01-01 to 2024-12-31.
    Revision2013,
    /// 2024 revision (国务院令第795号, 2024-11-10), in force from 2025-01-01.
    Revision2024,
}

impl Rules {
    pub fn for_year(year: i32) -> Rules {
        if year >= 2025 { Rules::Revision2024 } else { Rules::Revision2013 }
    }

    /// The rules as cited.
    pub fn citation(self) -> &'static str {
        match self {
            Rules::Revision2013 => {
                "《全国年节及纪念日放假办法》（2013年修订，国务院令第644号）第二条、第六条"
            }
            Rules::Revision2024 => {
                "《全国年节及纪念日放假办法》（2024年修订，国务院令第795号）第二条、第六条"
            }
        }
    }
}

fn ymd(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d)
}

fn from_solar(s: tyme4rs::tyme::solar::SolarDay) -> Option<NaiveDate> {
    ymd(s.get_year() as i32, s.get_month() as u32, s.get_day() as u32)
}

/// The Gregorian date of a lunar month and day (not a leap month) of lunar year `year`.
fn lunar(year: i32, month: isize, day: usize) -> Option<NaiveDate> {
    from_solar(tyme4rs::tyme::lunar::LunarDay::from_ymd(year as isize, month, day).get_solar_day())
}

/// The day of the solar term 清明 in `year`.
fn qingming(year: i32) -> Option<NaiveDate> {
    from_solar(
        tyme4rs::tyme::solar::SolarTerm::from_name(year as isize, "清明").get_julian_day().get_solar_day(),
    )
}

/// The statutory days off of `year` under 第二条 (no 补假), in date order, each with its
/// festival. `None` outside the years the lunar tables hold (before 1900, after 2100).
pub fn statutory_days(year: i32) -> Option<Vec<(NaiveDate, Festival)>> {
    if !(1900..=2100).contains(&year) {
        return None;
    }
    let rules = Rules::for_year(year);
    let mut out = vec![(ymd(year, 1, 1)?, Festival::NewYear)];
    let new_year = lunar(year, 1, 1)?;
    if rules == Rules::Revision2024 {
        // 除夕: the last day of the twelfth month, the day before 正月初一.
        out.push((new_year.pred_opt()?, Festival::SpringFestival));
    }
    for i in 0..3 {
        out.push((new_year + Days::new(i), Festival::SpringFestival));
    }
    out.push((qingming(year)?, Festival::Qingming));
    out.push((ymd(year, 5, 1)?, Festival::Labour));
    if rules == Rules::Revision2024 {
        out.push((ymd(year, 5, 2)?, Festival::Labour));
    }
    out.push((lunar(year, 5, 5)?, Festival::DragonBoat));
    out.push((lunar(year, 8, 15)?, Festival::MidAutumn));
    for d in 1..=3 {
        out.push((ymd(year, 10, d)?, Festival::National));
    }
    out.sort();
    Some(out)
}

/// A day off of a provisional year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvisionalDay {
    pub date: NaiveDate,
    pub festival: Festival,
    /// A day given in lieu (补假, 第六条), not a statutory day itself.
    pub in_lieu: bool,
}

fn weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The days off of a year without a notice: the statutory days of 第二条 and, for each that
/// falls on a Saturday or Sunday or on another festival's day, a day in lieu on the first
/// weekday after the festival that is not already off (第六条). In date order.
pub fn provisional_days(year: i32) -> Option<Vec<ProvisionalDay>> {
    let statutory = statutory_days(year)?;
    let mut off: BTreeMap<NaiveDate, ProvisionalDay> = BTreeMap::new();
    let mut owed: Vec<(Festival, NaiveDate, u32)> = Vec::new();
    for f in Festival::ALL {
        let days: Vec<NaiveDate> = statutory.iter().filter(|(_, x)| *x == f).map(|(d, _)| *d).collect();
        let mut lost = 0;
        for d in &days {
            if weekend(*d) || off.contains_key(d) {
                lost += 1;
            }
            off.entry(*d).or_insert(ProvisionalDay { date: *d, festival: f, in_lieu: false });
        }
        if let Some(last) = days.iter().max() {
            owed.push((f, *last, lost));
        }
    }
    // Days in lieu in the order of the festivals' last days, each after its festival.
    owed.sort_by_key(|(_, last, _)| *last);
    for (f, last, n) in owed {
        let mut d = last;
        for _ in 0..n {
            loop {
                d = d.succ_opt()?;
                if !weekend(d) && !off.contains_key(&d) {
                    break;
                }
            }
            off.insert(d, ProvisionalDay { date: d, festival: f, in_lieu: true });
        }
    }
    Some(off.into_values().filter(|p| p.date.year() == year).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn the_festivals_of_2027_on_the_lunar_calendar() {
        let days = statutory_days(2027).unwrap();
        let of = |f: Festival| days.iter().filter(|(_, x)| *x == f).map(|(d, _)| *d).collect::<Vec<_>>();
        // 正月初一 2027 is 6 February; 除夕 the day before (2024 revision).
        assert_eq!(
            of(Festival::SpringFestival),
            [d("2027-02-05"), d("2027-02-06"), d("2027-02-07"), d("2027-02-08")]
        );
        assert_eq!(of(Festival::Qingming), [d("2027-04-05")]);
        assert_eq!(of(Festival::Labour), [d("2027-05-01"), d("2027-05-02")]);
        assert_eq!(of(Festival::DragonBoat), [d("2027-06-09")]);
        assert_eq!(of(Festival::MidAutumn), [d("2027-09-15")]);
        assert_eq!(days.len(), 13);
    }

    #[test]
    fn days_in_lieu_follow_the_festival() {
        let p = provisional_days(2027).unwrap();
        let lieu: Vec<(NaiveDate, &str)> =
            p.iter().filter(|x| x.in_lieu).map(|x| (x.date, x.festival.name_zh())).collect();
        // 春节 6–7 Feb (Sat, Sun) → Tue 9 and Wed 10 Feb; 劳动节 1–2 May (Sat, Sun) → Mon 3,
        // Tue 4 May; 国庆节 2–3 Oct (Sat, Sun) → Mon 4, Tue 5 Oct; 元旦 is a Friday.
        assert_eq!(
            lieu,
            [
                (d("2027-02-09"), "春节"),
                (d("2027-02-10"), "春节"),
                (d("2027-05-03"), "劳动节"),
                (d("2027-05-04"), "劳动节"),
                (d("2027-10-04"), "国庆节"),
                (d("2027-10-05"), "国庆节")
            ]
        );
    }

    #[test]
    fn mid_autumn_on_national_day_gives_a_day_in_lieu() {
        // 2028: 中秋节 is Tuesday 3 October; 国庆节 1 October is a Sunday.
        let p = provisional_days(2028).unwrap();
        let oct: Vec<(NaiveDate, bool)> =
            p.iter().filter(|x| x.date.month() == 10).map(|x| (x.date, x.in_lieu)).collect();
        assert_eq!(
            oct,
            [
                (d("2028-10-01"), false),
                (d("2028-10-02"), false),
                (d("2028-10-03"), false),
                (d("2028-10-04"), true),
                (d("2028-10-05"), true)
            ]
        );
    }

    #[test]
    fn the_2033_leap_month_is_the_eleventh() {
        let days = statutory_days(2033).unwrap();
        assert!(days.contains(&(d("2033-09-08"), Festival::MidAutumn)));
    }

    #[test]
    fn outside_the_tables_there_is_no_answer() {
        assert!(statutory_days(2101).is_none());
        assert!(statutory_days(1899).is_none());
        assert!(statutory_days(2100).is_some());
    }
}
