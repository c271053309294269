package main

import (
	"fmt"
	"math"
	"strings"
)

// Chart geometry, in SVG user units.
const (
	svgWidth   = 1060
	svgLabelX  = 372 // right edge of the row labels
	svgPlotX0  = 380
	svgPlotX1  = 800
	svgValueX  = 810
	svgTop     = 46
	svgRowH    = 18
	svgBarH    = 10
	svgBottom  = 34
	svgFontCSS = "font-family:sans-serif;font-size:11px"
)

// axisTicks are the 1-2-5 values a log axis may mark.
func axisTicks() []float64 {
	var t []float64
	for e := -3; e <= 4; e++ {
		for _, m := range []float64{1, 2, 5} {
			t = append(t, m*math.Pow(10, float64(e)))
		}
	}
	return t
}

// logDomain is the smallest [lo, hi] of axis ticks holding every ratio,
// quartile and 1 (with at least 0.5 and 2, so that a table of near-1 rows
// still shows what slower and faster look like).
func logDomain(rows []Row) (lo, hi float64) {
	lo, hi = 0.5, 2
	for _, r := range rows {
		for _, v := range []float64{r.Ratio, r.Q1, r.Q3} {
			if v > 0 && !math.IsInf(v, 0) && !math.IsNaN(v) {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	ticks := axisTicks()
	l, h := ticks[0], ticks[len(ticks)-1]
	for _, t := range ticks {
		if t <= lo*(1+1e-9) {
			l = t
		}
	}
	for i := len(ticks) - 1; i >= 0; i-- {
		if ticks[i] >= hi*(1-1e-9) {
			h = ticks[i]
		}
	}
	return l, h
}

// scale maps a ratio to an x coordinate on a log axis over [lo, hi],
// clamped to the plot.
func scale(v, lo, hi float64) float64 {
	if !(v > 0) {
		v = lo
	}
	f := (math.Log(v) - math.Log(lo)) / (math.Log(hi) - math.Log(lo))
	f = math.Max(0, math.Min(1, f))
	return svgPlotX0 + f*(svgPlotX1-svgPlotX0)
}

func barColor(r Row) string {
	switch {
	case r.Ratio >= 1:
		return "#3b7d4a"
	case r.Ratio >= 0.9:
		return "#c89b2c"
	}
	return "#b8413a"
}

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}

func tickLabel(v float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.3f", v), "0"), ".") + "×"
}

// svg draws one horizontal bar per row on a log axis, from 1× to the
// median ratio, with the middle half of the per-pair ratios as a whisker.
// Inconclusive rows are pale and marked ⚠.
func svg(rows []Row) string {
	lo, hi := logDomain(rows)
	height := svgTop + len(rows)*svgRowH + svgBottom
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" style="%s">`+"\n",
		svgWidth, height, svgWidth, height, svgFontCSS)
	b.WriteString("<title>packetpeer vs the raw libraries: ratio = baseline time / packetpeer time, median of paired runs, whisker = middle half</title>\n")
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#ffffff"/>`+"\n", svgWidth, height)
	fmt.Fprintf(&b, `<text x="%d" y="16" font-weight="bold">packetpeer vs baseline (log scale; right of 1× = packetpeer faster)</text>`+"\n", svgPlotX0)
	plotBottom := svgTop + len(rows)*svgRowH
	sparse := hi/lo > 500 // 1-2-5 labels would overlap: powers of ten only
	for _, t := range axisTicks() {
		if t < lo*(1-1e-9) || t > hi*(1+1e-9) {
			continue
		}
		if m := t / math.Pow(10, math.Floor(math.Log10(t)+1e-9)); sparse && math.Abs(m-1) > 1e-9 {
			continue
		}
		x := scale(t, lo, hi)
		stroke, width := "#dddddd", 1.0
		if t == 1 {
			stroke, width = "#333333", 1.5
		}
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s" stroke-width="%.1f"/>`+"\n",
			x, svgTop-6, x, plotBottom, stroke, width)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", x, svgTop-10, tickLabel(t))
	}
	one := scale(1, lo, hi)
	prev := ""
	for i, r := range rows {
		y := svgTop + i*svgRowH
		mid := float64(y) + svgRowH/2
		if r.Package != prev && i > 0 {
			fmt.Fprintf(&b, `<line x1="4" y1="%d" x2="%d" y2="%d" stroke="#bbbbbb"/>`+"\n", y, svgWidth-4, y)
		}
		prev = r.Package
		label := fmt.Sprintf("%s  %s  %s vs %s", strings.TrimPrefix(strings.TrimPrefix(r.Package, "./"), "transport/"), r.Case, r.Ours, r.Baseline)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end" dominant-baseline="middle">%s</text>`+"\n", svgLabelX, mid, xmlEscape(label))
		x := scale(r.Ratio, lo, hi)
		opacity := 1.0
		if r.Wide {
			opacity = 0.35
		}
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%d" fill="%s" fill-opacity="%.2f"><title>%s: %.2f</title></rect>`+"\n",
			math.Min(one, x), mid-svgBarH/2, math.Max(math.Abs(x-one), 1), svgBarH, barColor(r), opacity, xmlEscape(label), r.Ratio)
		x1, x3 := scale(r.Q1, lo, hi), scale(r.Q3, lo, hi)
		fmt.Fprintf(&b, `<path d="M%.1f %.1fV%.1fM%.1f %.1fH%.1fM%.1f %.1fV%.1f" stroke="#222222" stroke-width="1.3" fill="none"/>`+"\n",
			x1, mid-4, mid+4, x1, mid, x3, x3, mid-4, mid+4)
		mark := ""
		if r.Wide {
			mark = " ⚠"
		}
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" dominant-baseline="middle">%.2f (%.2f–%.2f, %d pairs)%s</text>`+"\n",
			svgValueX, mid, r.Ratio, r.Q1, r.Q3, len(r.Ratios), mark)
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" fill="#555555">bar: median of per-pair ratios · whisker: middle half (first to third quartile) · pale ⚠: too wide to conclude</text>`+"\n",
		svgPlotX0-200, plotBottom+22)
	b.WriteString("</svg>\n")
	return b.String()
}
