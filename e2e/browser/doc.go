// Package browser tests toolaudit serve in a real browser: headless
// Chromium driven by chromedp runs the built toolaudit binary's pages. It
// is a module of its own so that chromedp never reaches the command's or
// the core's go.mod. Without Chromium the tests skip, saying why.
package browser
