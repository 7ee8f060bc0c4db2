// Package e2e holds SecBot's end-to-end tests: the receiver, reporter and
// worker run as separate OS processes against real PostgreSQL, Redis and
// git, with stand-ins only for GitLab's API and Slack.
package e2e
