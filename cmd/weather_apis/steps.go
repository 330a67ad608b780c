package main

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/weather-apis/weather_apis/internal/exapp"
	"github.com/weather-apis/weather_apis/internal/resources"
	"github.com/weather-apis/weather_apis/internal/token"
)

// initSteps is the /init work: Redis must answer (fatal: without it the app
// cannot share tokens or cache across replicas); the upstream token and a
// warm schema entry are best effort (an upstream outage must not block the
// install; weather_apis:doctor explains it later).
func initSteps(rdb redis.UniversalClient, tokens *token.Source, res *resources.Service) []exapp.Step {
	return []exapp.Step{
		{Name: "redis", Fatal: true, Run: func(ctx context.Context) error {
			if err := rdb.Ping(ctx).Err(); err != nil {
				return fmt.Errorf("redis does not answer PING: %w", err)
			}
			return nil
		}},
		{Name: "upstream token", Run: func(ctx context.Context) error {
			_, err := tokens.Token(ctx)
			return err
		}},
		{Name: "warm farm schema", Run: func(ctx context.Context) error {
			_, err := res.Read(ctx, "farm_schema", resources.Params{RequestID: "init"})
			return err
		}},
	}
}
