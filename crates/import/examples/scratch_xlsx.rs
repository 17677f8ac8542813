use rust_xlsxwriter::Workbook;
fn main() {
    let n: usize = std::env::args().nth(1).unwrap().parse().unwrap();
    let mut csv = Vec::new();
    import::synth::write_csv(&mut csv, n, &[2021]).unwrap();
    let text = String::from_utf8(csv).unwrap();
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    for (r, line) in text.lines().enumerate() {
        for (c, cell) in line.split(',').enumerate() {
            if cell.is_empty() {
                continue;
            }
            match cell.parse::<f64>() {
                Ok(f) if r > 0 && c > 3 => {
                    ws.write_number(r as u32, c as u16, f).unwrap();
                }
                _ => {
                    ws.write_string(r as u32, c as u16, cell).unwrap();
                }
            }
        }
    }
    wb.save(std::env::args().nth(2).unwrap()).unwrap();
}
