package storagetest

import (
	"context"
	"net/url"
	"testing"

	"github.com/minio/minio-go/v7"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	gormlogger "gorm.io/gorm/logger"

	"github.com/atelier-app/atelier/storage/blob"
)

// PostgresURL creates a fresh database through the admin URL in
// PostgresEnv and returns its URL; the database is dropped (with FORCE,
// closing leftover connections) when the test ends.
func PostgresURL(t testing.TB) string {
	t.Helper()
	admin := serverURL(t, PostgresEnv)
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("%s: %v", PostgresEnv, err)
	}
	db, err := gorm.Open(postgres.Open(admin), &gorm.Config{Logger: gormlogger.Discard})
	if err != nil {
		t.Fatalf("%s: connect: %v", PostgresEnv, err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		t.Fatal(err)
	}
	name := randomName(t, "atelier_test_")
	// Identifiers cannot be bound parameters; name is ours and safe.
	if err := db.Exec("CREATE DATABASE " + name).Error; err != nil {
		sqlDB.Close()
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		defer sqlDB.Close()
		ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
		defer cancel()
		if err := db.WithContext(ctx).Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)").Error; err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}

// MinIOURL creates a fresh bucket on the server in MinIOEnv and returns a
// blob URL naming it; the bucket and its objects are removed when the test
// ends.
func MinIOURL(t testing.TB) string {
	t.Helper()
	server := serverURL(t, MinIOEnv)
	u, err := url.Parse(server)
	if err != nil {
		t.Fatalf("%s: %v", MinIOEnv, err)
	}
	bucket := randomName(t, "atelier-test-")
	u.Path = "/" + bucket
	raw := u.String()
	cfg, err := blob.ParseS3URL(raw)
	if err != nil {
		t.Fatalf("%s: %v", MinIOEnv, err)
	}
	client, err := blob.NewClient(cfg)
	if err != nil {
		t.Fatalf("%s: %v", MinIOEnv, err)
	}
	ctx := context.Background()
	if err := client.MakeBucket(ctx, bucket, minio.MakeBucketOptions{Region: cfg.Region}); err != nil {
		t.Fatalf("create test bucket: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
		defer cancel()
		objects := client.ListObjects(ctx, bucket, minio.ListObjectsOptions{Recursive: true})
		for res := range client.RemoveObjects(ctx, bucket, objects, minio.RemoveObjectsOptions{}) {
			t.Errorf("remove test object %s: %v", res.ObjectName, res.Err)
		}
		if err := client.RemoveBucket(ctx, bucket); err != nil {
			t.Errorf("remove test bucket %s: %v", bucket, err)
		}
	})
	return raw
}
