package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"sync"
	"time"
)

// apiClient sends a seller's requests and counts them and their 5xx.
type apiClient struct {
	base, key string
	http      *http.Client

	mu       sync.Mutex
	requests int
	fivexx   int
}

func newAPIClient(base, key string) *apiClient {
	return &apiClient{base: base, key: key, http: &http.Client{Timeout: 30 * time.Second}}
}

// do sends a request with a JSON body (or a prepared one with its content
// type) and decodes a 2xx answer into out; it returns the status.
func (a *apiClient) do(method, path string, body io.Reader, contentType string, out any) (int, error) {
	status, _, err := a.send(method, path, body, contentType, out)
	return status, err
}

// send is do that also tells whether the answer had a Retry-After header.
func (a *apiClient) send(method, path string, body io.Reader, contentType string, out any) (int, bool, error) {
	req, err := http.NewRequest(method, a.base+path, body)
	if err != nil {
		return 0, false, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Authorization", "Bearer "+a.key)
	resp, err := a.http.Do(req)
	a.count(resp, err)
	if err != nil {
		return 0, false, err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	retryAfter := resp.Header.Get("Retry-After") != ""
	if resp.StatusCode/100 != 2 {
		return resp.StatusCode, retryAfter, fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, retryAfter, fmt.Errorf("%s %s: %w", method, path, err)
		}
	}
	return resp.StatusCode, retryAfter, nil
}

// count counts a request and, if it answered 5xx, its 5xx.
func (a *apiClient) count(resp *http.Response, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.requests++
	if err == nil && resp.StatusCode >= 500 {
		a.fivexx++
	}
}

func (a *apiClient) json(method, path string, in, out any) (int, error) {
	var body io.Reader
	if in != nil {
		data, _ := json.Marshal(in)
		body = bytes.NewReader(data)
	}
	return a.do(method, path, body, "application/json", out)
}

// upload posts a product photo as a new item (POST /api/v1/items).
func (a *apiClient) upload(photo []byte, category string, out any) (int, error) {
	status, _, err := a.uploadStatus(photo, category, out)
	return status, err
}

// uploadStatus is upload that also tells whether the answer had a
// Retry-After header.
func (a *apiClient) uploadStatus(photo []byte, category string, out any) (int, bool, error) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	fw, _ := w.CreateFormFile("image", "product.png")
	_, _ = fw.Write(photo)
	_ = w.WriteField("category", category)
	_ = w.Close()
	return a.send("POST", "/api/v1/items", &buf, w.FormDataContentType(), out)
}

// productPNG is a w×h photo of a coloured product on a light background.
func productPNG(w, h int, seed int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	c := color.RGBA{uint8(40 + seed*37%200), uint8(90 + seed*53%150), uint8(160 - seed*29%120), 255}
	for y := range h {
		for x := range w {
			if x > w/4 && x < 3*w/4 && y > h/6 && y < 5*h/6 {
				img.Set(x, y, c)
			} else {
				img.Set(x, y, color.RGBA{235, 235, 230, 255})
			}
		}
	}
	var buf bytes.Buffer
	_ = png.Encode(&buf, img)
	return buf.Bytes()
}

// segments returns the ids of the consumer segments (at least one).
func (a *apiClient) segments() ([]string, error) {
	var out struct {
		Segments []struct {
			ID string `json:"id"`
		} `json:"segments"`
	}
	if _, err := a.json("GET", "/api/v1/segments", nil, &out); err != nil || len(out.Segments) == 0 {
		return nil, fmt.Errorf("segments: %v (%d)", err, len(out.Segments))
	}
	ids := make([]string, len(out.Segments))
	for i, s := range out.Segments {
		ids[i] = s.ID
	}
	return ids, nil
}
