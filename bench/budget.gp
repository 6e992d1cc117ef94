# budget.gp - plot of bench_budget.sh: transaction time against the retention
# window, for a naive single-transaction export and for wtexport's SSE sink.
#
#   gnuplot -e "csv='budget.csv'; png='budget.png'; tt=60; budget=15; mbps=4; rate=0.2" bench/budget.gp
#
# csv columns: 1 window_days, 2 lines, 3 ndjson_bytes, 4 wt_total_s,
# 5 wt_transactions, 6 wt_p50_s, 7 wt_p99_s, 8 wt_max_s, 9 wt_over_budget,
# 10 naive_s, 11 naive_ok (0: curl gave up at the transaction limit, so the
# value is a lower bound).
if (!exists("csv")) csv = 'budget.csv'
if (!exists("png")) png = 'budget.png'
if (!exists("tt")) tt = 60
if (!exists("budget")) budget = 15
if (!exists("mbps")) mbps = 4
if (!exists("rate")) rate = 0.2

set terminal pngcairo size 1000,650 enhanced font 'sans,10'
set output png
set datafile separator ','
set title sprintf("Transaction time against the retention window\n{/*0.85 %g log lines/s, server %g MB/s of NDJSON per request; transaction limit %g s, budget %g s}", rate, mbps, tt, budget)
set xlabel 'retention window (days, log scale)'
set ylabel 'transaction time (s, log scale)'
set logscale xy
set xrange [0.8:40]
set yrange [0.01:300]
set xtics (1, 2, 7, 14, 30)
set format y '%g'
set grid xtics ytics mytics lc rgb '#dddddd'
set key bottom right box opaque

# The limits: horizontal lines over the whole x range.
set arrow 1 from graph 0, first tt to graph 1, first tt nohead lw 2 lc rgb '#cc0000'
set label 1 sprintf("transaction limit %g s", tt) at graph 0.01, first tt * 1.15 left tc rgb '#cc0000'
set arrow 2 from graph 0, first budget to graph 1, first budget nohead lw 2 dt 2 lc rgb '#e08000'
set label 2 sprintf("wtexport budget %g s", budget) at graph 0.01, first budget * 1.15 left tc rgb '#e08000'

ok(t, v) = (t == 1 ? v : 1/0)
failed(t, v) = (t == 0 ? v : 1/0)

plot csv every ::1 using 1:($3 / (mbps * 1e6)) with lines dt 3 lw 2 lc rgb '#666666' \
         title 'naive, expected (NDJSON bytes / server rate)', \
     csv every ::1 using 1:10 with lines lw 2 lc rgb '#cc0000' notitle, \
     csv every ::1 using 1:(ok($11, $10)) with points pt 7 ps 1.3 lc rgb '#cc0000' \
         title 'naive: whole window in one transaction', \
     csv every ::1 using 1:(failed($11, $10)) with points pt 2 ps 2.5 lw 3 lc rgb '#cc0000' \
         title sprintf('naive: failed, gave up at %g s', tt), \
     csv every ::1 using 1:8 with linespoints pt 5 ps 1.1 lw 2 lc rgb '#0060c0' \
         title 'wtexport: max transaction', \
     csv every ::1 using 1:7 with linespoints pt 9 ps 1.1 lw 1.5 lc rgb '#30a0e0' \
         title 'wtexport: p99 transaction', \
     csv every ::1 using 1:6 with linespoints pt 13 ps 0.9 lw 1 dt 4 lc rgb '#30a0e0' \
         title 'wtexport: p50 transaction'
