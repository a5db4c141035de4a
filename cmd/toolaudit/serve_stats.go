package main

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/toolaudit/toolaudit/reader"
	"github.com/toolaudit/toolaudit/record"
)

// The charts' geometry, in SVG user units.
const (
	chartW, chartH = 720, 220
	chartLeft      = 44 // room for the axis labels
	chartBottom    = 24
	toolRowH       = 22
	toolLabelW     = 180
	maxToolRows    = 20 // tools shown one by one, the most called first
)

type statsData struct {
	User, Days         string
	Calls              int
	DayChart           dayChart
	ToolChart          toolChart
	Tools              []*toolStats
	ChartW, ToolChartW int
}

type dayChart struct {
	Height, Max int
	Bars        []dayBar
	Ticks       []tick
}

type dayBar struct {
	X, W, LabelX, LabelY float64
	Day, Label           string
	Segs                 []seg
}

type seg struct {
	Y, H  float64
	Class string
	Title string
}

type tick struct {
	Y     float64
	Label string
}

type toolChart struct {
	Height int
	Rows   []toolRow
	Max    string
}

type toolRow struct {
	Y, TextY, P50W, P95W float64
	Tool, Label          string
}

// stats reads the day files of the period whole: calls per day by status
// and duration percentiles per tool, of one user or of all.
func (s *server) stats(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	user, daysText := q.Get("user"), q.Get("days")
	days := 7
	if daysText != "" {
		n, err := strconv.Atoi(daysText)
		if err != nil || n < 1 || n > 366 {
			s.fail(w, http.StatusBadRequest, fmt.Sprintf("invalid days %q: want a number of days from 1 to 366", daysText))
			return
		}
		days = n
	}
	var warns []string
	users := []string{user}
	if user == "" {
		var err error
		users, err = s.r.Users(ctx)
		if warns, err = userWarnings(warns, err); err != nil {
			s.fail(w, http.StatusInternalServerError, err.Error())
			return
		}
	}
	now := s.now()
	y, m, d := now.AddDate(0, 0, -(days - 1)).Date()
	from := time.Date(y, m, d, 0, 0, 0, 0, now.Location())
	var dayList []string
	for t := from; !t.After(now); t = t.AddDate(0, 0, 1) {
		dayList = append(dayList, t.Format("2006-01-02"))
	}
	if user != "" {
		if _, err := s.r.Days(ctx, user); errors.Is(err, reader.ErrInvalidUser) {
			s.fail(w, http.StatusBadRequest, err.Error())
			return
		}
	}
	warn := func(err error) error {
		var others error
		warns, others = userWarnings(warns, err)
		return others
	}
	// The same reading as toolaudit stats: the period by ts, a margin day
	// of files on each side.
	t, err := aggregate(ctx, s.r, users, from, now, nil, warn)
	if err != nil {
		s.fail(w, http.StatusInternalServerError, err.Error())
		return
	}
	data := statsData{User: user, Days: strconv.Itoa(days), ChartW: chartW, ToolChartW: chartW, Calls: t.calls}
	data.DayChart = drawDays(dayList, t.perDay)
	for i, tool := range t.tools {
		if i == maxToolRows {
			// Tool names come from the files, so their number is the
			// attacker's: the rest is one row.
			other := &toolStats{Tool: fmt.Sprintf("(%d other tools)", len(t.tools)-i)}
			for _, rest := range t.tools[i:] {
				other.Calls, other.Errors, other.Denied = other.Calls+rest.Calls, other.Errors+rest.Errors, other.Denied+rest.Denied
			}
			data.Tools = append(data.Tools, other)
			break
		}
		tool.Tool = sanitize(tool.Tool)
		data.Tools = append(data.Tools, tool)
	}
	data.ToolChart = drawTools(data.Tools)
	title := "Stats of all users"
	if user != "" {
		title = "Stats of " + sanitize(user)
	}
	s.render(w, http.StatusOK, "stats", page{Title: title, Nav: "stats", Warnings: warns, Data: data})
}

// statusOrder is the stacking order, bottom up; other statuses go on top.
var statusOrder = []record.Status{record.StatusOK, record.StatusError, record.StatusDenied}

func drawDays(days []string, perDay map[string]map[record.Status]int) dayChart {
	c := dayChart{Height: chartH}
	for _, d := range days {
		n := 0
		for _, k := range perDay[d] {
			n += k
		}
		c.Max = max(c.Max, n)
	}
	top := niceCeil(c.Max)
	plotH := float64(chartH - chartBottom - 8)
	scale := plotH / float64(top)
	slot := float64(chartW-chartLeft) / float64(max(1, len(days)))
	for i := 0; i <= 4; i++ {
		v := top * i / 4
		c.Ticks = append(c.Ticks, tick{Y: 8 + plotH - float64(v)*scale, Label: strconv.Itoa(v)})
	}
	for i, d := range days {
		b := dayBar{X: float64(chartLeft) + float64(i)*slot + slot*0.15, W: slot * 0.7, Day: d}
		b.LabelX, b.LabelY = b.X+b.W/2, float64(chartH-8)
		if len(days) <= 14 || i%(len(days)/14+1) == 0 {
			b.Label = d[5:]
		}
		y := 8 + plotH
		counts := perDay[d]
		var order []record.Status
		order = append(order, statusOrder...)
		var others []string
		for st := range counts {
			if !slices.Contains(statusOrder, st) {
				others = append(others, string(st))
			}
		}
		slices.Sort(others)
		for _, o := range others {
			order = append(order, record.Status(o))
		}
		for _, st := range order {
			n := counts[st]
			if n == 0 {
				continue
			}
			h := float64(n) * scale
			y -= h
			class := "st-other"
			if slices.Contains(statusOrder, st) {
				class = "st-" + string(st)
			}
			b.Segs = append(b.Segs, seg{Y: y, H: h, Class: class, Title: fmt.Sprintf("%s %s: %d", d, sanitize(string(st)), n)})
		}
		c.Bars = append(c.Bars, b)
	}
	return c
}

// niceCeil rounds n up to 1, 2 or 5 times a power of ten (at least 4, so
// that the four ticks are whole numbers when n is small).
func niceCeil(n int) int {
	if n <= 4 {
		return 4
	}
	p := int(math.Pow(10, math.Floor(math.Log10(float64(n)))))
	for _, m := range []int{1, 2, 4, 5, 10} {
		if m*p >= n && (m*p)%4 == 0 {
			return m * p
		}
	}
	return 20 * p
}

func drawTools(tools []*toolStats) toolChart {
	c := toolChart{}
	top := 0.0
	for _, t := range tools {
		if t.P95 != nil {
			top = max(top, *t.P95)
		}
	}
	c.Max = ms(top) + " ms"
	width := float64(chartW - toolLabelW - 200) // room for the label after the longest bar
	for i, t := range tools {
		row := toolRow{Y: float64(i*toolRowH + 4), Tool: cut(t.Tool, 26), Label: "no duration"}
		row.TextY = row.Y + toolRowH/2 + 4
		if t.P95 != nil && top > 0 {
			row.P50W = math.Max(1, *t.P50/top*width)
			row.P95W = math.Max(1, *t.P95/top*width)
			row.Label = "p50 " + ms(*t.P50) + " · p95 " + ms(*t.P95) + " ms"
		}
		c.Rows = append(c.Rows, row)
	}
	c.Height = len(tools)*toolRowH + 8
	return c
}
