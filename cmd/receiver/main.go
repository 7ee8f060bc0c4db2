// Command receiver takes GitLab webhooks on :5000 and plans the checks.
package main

import "github.com/secbot/secbot/internal/service"

func main() { service.Main("receiver", service.RunReceiver) }
