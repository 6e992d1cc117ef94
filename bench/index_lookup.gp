# index_lookup.gp - bench_index.sh's plot: /observe/observables latency (20
# observables) against the window, warm and cold, next to the appliance's
# 60-second transaction limit. csv: window_days, warm p50, warm p99, cold
# p50, cold p99, warm CPU p50, warm CPU p99 (ms).
if (!exists("csv")) csv = 'index_lookup.csv'
if (!exists("png")) png = 'index_lookup.png'
if (!exists("days")) days = 30
if (!exists("per_day")) per_day = 200000
set terminal pngcairo size 1000,650 enhanced font 'sans,10'
set output png
set datafile separator ','
set title sprintf("Lookup latency of 20 observables against the window\n{/*0.85 wtexport index, %g days loaded at %.0f events/day; appliance limit 60 s}", days, per_day)
set xlabel 'window (days, log scale)'
set ylabel 'latency (ms, log scale)'
set logscale xy
set xrange [0.8:40]
set yrange [0.1:200000]
set xtics (1, 7, 30)
set grid xtics ytics lc rgb '#dddddd'
set key top left box opaque
plot 60000 with lines lw 2 lc rgb '#cc0000' title 'appliance transaction limit (60 s)', \
     100 with lines dt 2 lc rgb '#888888' title 'target p99 (100 ms)', \
     csv skip 1 using 1:3 with linespoints lw 2 pt 7 lc rgb '#1f77b4' title 'warm p99', \
     csv skip 1 using 1:2 with linespoints pt 6 lc rgb '#1f77b4' title 'warm p50', \
     csv skip 1 using 1:5 with linespoints lw 2 pt 5 lc rgb '#ff7f0e' title 'cold p99 (index evicted from the page cache)', \
     csv skip 1 using 1:4 with linespoints pt 4 lc rgb '#ff7f0e' title 'cold p50', \
     csv skip 1 using 1:7 with linespoints lw 2 pt 9 lc rgb '#2ca02c' title 'warm p99, CPU time of the answer'
