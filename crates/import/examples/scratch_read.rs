fn main() {
    let path = std::env::args().nth(1).unwrap();
    let t = std::time::Instant::now();
    let o = import::Options::new(chrono::NaiveDate::from_ymd_opt(2023, 3, 31).unwrap(), enterprise::FactSource::Tax);
    let r = import::read_file(std::path::Path::new(&path), &o, &mut |_| {});
    let hwm = std::fs::read_to_string("/proc/self/status").unwrap().lines().find(|l| l.starts_with("VmHWM")).unwrap().to_string();
    match r {
        Ok(p) => println!("{} {} rows {} records {} errors in {:?}; {}", path, p.rows, p.records.len(), p.errors.len(), t.elapsed(), hwm),
        Err(e) => println!("{}: {} in {:?}; {}", path, i18n::Localized::render(&e, i18n::Lang::En), t.elapsed(), hwm),
    }
}
