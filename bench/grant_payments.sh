#!/usr/bin/env bash
# From a grant run to money at scale (issue 12, docs/PERFORMANCE.md "Grant runs"): on the
# database `huiqi bench grants` left (DB), one more synthetic award item granted to every
# assistance target (~900,000 grants at 1,000,000 enterprises), then the real commands, each
# timed with /usr/bin/time -v: grant run, publicize, approve by as many people as the zone's
# approval bands ask (three above 10,000,000 yuan by default), payment-file
# (csv and, voided then reissued, xlsx), payment-results (every line paid, one with a wrong
# amount, one unknown grant), reconcile --json.
#
# The publicity (5 working days on the zone calendar) cannot pass in a benchmark: after
# `grant publicize` the script moves the run's publicity end into the past with one SQL
# UPDATE (SQLite), as the calendar would. Usage: bench/grant_payments.sh BIN DB WORKDIR
set -euo pipefail
BIN=${1:?huiqi binary}; DB=${2:?database}; W=${3:?work dir}
mkdir -p "$W/pol"
cat > "$W/pol/bench-award-all.toml" <<'TOML'
# SYNTHETIC (基准测试用): one award for every assistance target; not a policy.
[policy]
id = "bench-award-all"
title = "【基准】全员合成奖励（非真实政策）"
issuer = "【基准】园区管委会"
document = "【基准】园政发〔2022〕100号"
level = "zone"
published = "2022-01-01"
window = { from = "2022-01-01", to = "2026-12-31" }
departments = ["经济发展局"]
sample = true
note = "合成数据。"

[param.bench_award_all]
description = "合成"
unit = "yuan"
reference = "合成"
type = "money"
values = { "2022-01-01" = "1000" }

[[item]]
id = "bench-award-all"
title = "【基准】全员合成奖励"
benefit_kind = "award_no_application"
period = "year"
clause = "合成条款（基准测试用）。"
when = 'assistance_target and employees[year - 1] >= 1'
amount = 'bench_award_all'
TOML
t() { # label, command…
  local label=$1; shift
  /usr/bin/time -f "$label: %e s wall, %M KiB peak RSS" "$@" 2>>"$W/times.txt" >"$W/$label.out" || { cat "$W/$label.out"; tail -5 "$W/times.txt"; exit 1; }
  tail -1 "$W/times.txt"
}
: > "$W/times.txt"
t load "$BIN" --database "$DB" policy load "$W/pol" --as bench --approve-as bench-approver
t match "$BIN" --database "$DB" policy match --date 2022-06-30 --json
t run "$BIN" --database "$DB" grant run --item bench-award-all --period 2022 --json --as bench-preparer
RUN=$(python3 -c "import json,sys; print(json.load(open('$W/run.out'))['run'])")
cat "$W/run.out"
t publicize "$BIN" --database "$DB" grant publicize --run "$RUN" --as bench-preparer
sqlite3 "$DB" "UPDATE grant_runs SET publicity_until = '2020-01-01', publicity_from = '2019-12-24' WHERE id = $RUN"
t approve1 "$BIN" --database "$DB" grant approve --run "$RUN" --as approver-1
t approve2 "$BIN" --database "$DB" grant approve --run "$RUN" --as approver-2
cat "$W/approve2.out"
# The zone's bands may ask for more approvals (the output reads "审批 N/M"): approve until
# N = M, each time by another person.
need_more() { # the approve output's "审批 N/M": N < M
  local nm; nm=$(grep -o '审批 [0-9]*/[0-9]*' "$1" | head -1 | sed 's/审批 //')
  [ -n "$nm" ] && [ "${nm%/*}" -lt "${nm#*/}" ]
}
k=2
while need_more "$W/approve$k.out"; do
  k=$((k + 1))
  t "approve$k" "$BIN" --database "$DB" grant approve --run "$RUN" --as "approver-$k"
  cat "$W/approve$k.out"
done
t payment-file-csv "$BIN" --database "$DB" grant payment-file --run "$RUN" --out "$W/pay.csv" --as issuer
ls -la "$W/pay.csv"
FILE=$(sed -n 2p "$W/pay.csv" | cut -d, -f1)
t void "$BIN" --database "$DB" grant void-file "$FILE" --reason "基准：改出 xlsx" --as issuer
t payment-file-xlsx "$BIN" --database "$DB" grant payment-file --run "$RUN" --out "$W/pay.xlsx" --as issuer
ls -la "$W/pay.xlsx"
# Results for every issued line (the xlsx file's lines are the csv's): all paid, the first
# with a wrong amount, plus one unknown grant.
python3 - "$W/pay.csv" "$W/results.csv" <<'PY'
import csv, sys
src, dst = sys.argv[1], sys.argv[2]
with open(src, newline="") as f, open(dst, "w", newline="") as g:
    w = csv.writer(g)
    w.writerow(["grant", "date", "voucher", "amount", "status", "reason"])
    first = True
    for row in csv.reader(f):
        if row[0] == "file_id" or row[1] == "CONTROL":
            continue
        amount = row[4]
        if first:
            amount = "1.00"
            first = False
        w.writerow([row[1], "2026-12-10", "V" + row[1], amount, "ok", ""])
    w.writerow(["999999999", "2026-12-10", "VX", "5.00", "ok", ""])
PY
t payment-results "$BIN" --database "$DB" grant payment-results "$W/results.csv" --as finance
cat "$W/payment-results.out"
t reconcile "$BIN" --database "$DB" grant reconcile --run "$RUN" --json
python3 -c "import json; r=json.load(open('$W/reconcile.out')); print({k: r[k] for k in ('counts','issued','issued_amount','paid_amount')}, len(r['exceptions']))"
