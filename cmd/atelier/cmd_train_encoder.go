package main

import (
	"context"
	"errors"
)

func runTrainEncoder(ctx context.Context, e env, args []string) error {
	return errors.New("train encoder: TODO")
}
