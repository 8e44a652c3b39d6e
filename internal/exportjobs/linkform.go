package exportjobs

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"html/template"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/otelcol-audit/otelcol-audit/internal/signedlink"
)

// The dashboard link is a GET, which a browser sends from any page with the credential it
// cached for this server: the GET only shows what would be exported, and the export starts
// with the page's form, a POST carrying a token that only this server's page can hold.
const (
	// LinkPath is the dashboard link (GET: confirmation page) and its form's target (POST).
	LinkPath = "/api/v1/exports/new"
	// FormTokenField is the form field holding the anti-forgery token.
	FormTokenField = "csrf_token"
	// FormTokenTTL is how long a confirmation page can be submitted.
	FormTokenTTL = 15 * time.Minute
)

// formDigest binds a form token to the caller and to the request it confirms: another
// credential, or the same one with other parameters, cannot use it.
func formDigest(who Identity, req Request) string {
	b, _ := json.Marshal(struct {
		Who, Email string
		Req        Request
	}{who.key(), who.Email, req})
	sum := sha256.Sum256(append([]byte("otelcol-audit-export-form/v1\x00"), b...))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// formToken returns "<exp>.<sig>.<kid>": an HMAC, with the link-signing keys, over the
// method and path of the form, the tenant, formDigest and the expiry. Signing a POST of
// LinkPath keeps it apart from every download link, which signs a GET of another path.
func (e *Engine) formToken(who Identity, req Request) (string, time.Time) {
	exp := e.now().Add(FormTokenTTL)
	q := e.deps.Signer.Sign(http.MethodPost, LinkPath, req.Tenant, formDigest(who, req), exp)
	return q.Get(signedlink.ParamExpires) + "." + q.Get(signedlink.ParamSignature) + "." + q.Get(signedlink.ParamKeyID), time.Unix(exp.Unix(), 0)
}

// checkFormToken verifies a token for who and req (signedlink compares in constant time)
// and returns its signature and expiry.
func (e *Engine) checkFormToken(token string, who Identity, req Request) (sig string, exp time.Time, ok bool) {
	expStr, rest, ok1 := strings.Cut(token, ".")
	sig, kid, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 {
		return "", time.Time{}, false
	}
	q := url.Values{
		signedlink.ParamKeyID: {kid}, signedlink.ParamExpires: {expStr}, signedlink.ParamTenant: {req.Tenant},
		signedlink.ParamID: {formDigest(who, req)}, signedlink.ParamSignature: {sig},
	}
	if _, _, err := e.deps.Signer.Verify(http.MethodPost, LinkPath, q); err != nil {
		return "", time.Time{}, false
	}
	unix, err := strconv.ParseInt(expStr, 10, 64)
	if err != nil {
		return "", time.Time{}, false
	}
	return sig, time.Unix(unix, 0), true
}

// formTokens makes a token single-use: a second submission of the same page (a double
// click, a reload of the POST) leads to the export the first one started.
type formTokens struct {
	mu   sync.Mutex
	used map[string]formUse
}

type formUse struct {
	expires time.Time
	jobID   string // empty while the first submission is running
}

// claim marks sig as in use. It returns the job a previous submission started, or busy
// when one is still running; otherwise the caller submits and calls done.
func (f *formTokens) claim(sig string, expires, now time.Time) (jobID string, busy bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for k, u := range f.used {
		if !now.Before(u.expires) {
			delete(f.used, k)
		}
	}
	if u, ok := f.used[sig]; ok {
		return u.jobID, u.jobID == ""
	}
	f.used[sig] = formUse{expires: expires}
	return "", false
}

// done records the job sig started, or, when none was (the request was refused), frees the
// token so that the same page can be sent again.
func (f *formTokens) done(sig, jobID string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if jobID == "" {
		delete(f.used, sig)
		return
	}
	if u, ok := f.used[sig]; ok {
		u.jobID = jobID
		f.used[sig] = u
	}
}

// parseLink reads the link's parameters; the requester's own address is notified.
func (e *Engine) parseLink(q url.Values, who Identity) (Request, error) {
	req, err := ParseQuery(q, e.now())
	if err != nil {
		return Request{}, err
	}
	if who.Email != "" && validEmail(who.Email) {
		req.Notify = []string{who.Email}
	}
	return req, nil
}

// handleLinkPage answers the dashboard link with a confirmation page; it starts nothing.
func (e *Engine) handleLinkPage(w http.ResponseWriter, r *http.Request) {
	who, err := e.auth.identify(r)
	if err != nil {
		e.writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	req, err := e.parseLink(q, who)
	if err == nil {
		err = e.precheck(who, req)
	}
	if err != nil {
		e.writeError(w, r, err)
		return
	}
	token, expires := e.formToken(who, req)
	e.writeConfirmPage(w, who, req, q, token, expires)
}

// handleLinkSubmit starts the export confirmed on the page and redirects (303) to its
// status page.
func (e *Engine) handleLinkSubmit(w http.ResponseWriter, r *http.Request) {
	who, err := e.auth.identify(r)
	if err != nil {
		e.writeError(w, r, err)
		return
	}
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/x-www-form-urlencoded" {
		writeJSON(w, http.StatusUnsupportedMediaType, errorBody{Error: "content type must be application/x-www-form-urlencoded", Field: "Content-Type"})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxRequestBody)
	if err := r.ParseForm(); err != nil {
		e.writeError(w, r, fieldErr("body", "is not a valid form of at most %d bytes", maxRequestBody))
		return
	}
	form := url.Values{}
	for k, v := range r.PostForm {
		form[k] = slices.Clone(v)
	}
	tokens := form[FormTokenField]
	delete(form, FormTokenField)
	req, err := e.parseLink(form, who)
	if err != nil {
		e.writeError(w, r, err)
		return
	}
	var sig string
	var expires time.Time
	ok := len(tokens) == 1
	if ok {
		sig, expires, ok = e.checkFormToken(tokens[0], who, req)
	}
	if !ok {
		writeJSON(w, http.StatusForbidden, errorBody{Error: "the confirmation form is invalid or has expired: open the export link again", Field: FormTokenField})
		return
	}
	jobID, busy := e.forms.claim(sig, expires, e.now())
	switch {
	case busy:
		writeJSON(w, http.StatusConflict, errorBody{Error: "this confirmation form is being submitted already", Field: FormTokenField})
		return
	case jobID != "":
		e.redirectToStatus(w, jobID)
		return
	}
	j, err := e.Submit(r.Context(), who, req, clientIP(r))
	if err != nil {
		e.forms.done(sig, "")
		e.writeError(w, r, err)
		return
	}
	e.forms.done(sig, j.ID)
	e.redirectToStatus(w, j.ID)
}

func (e *Engine) redirectToStatus(w http.ResponseWriter, id string) {
	w.Header().Set("Location", e.baseURL+StatusPath(id))
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusSeeOther)
}

// pageSecurityHeaders keep the pages from being framed (a confirmation button must not be
// clickjacked), from loading anything, and from posting anywhere but here.
func pageSecurityHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
}

var confirmPage = template.Must(template.New("confirm").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Confirm audit log export</title>
<style>body{font-family:sans-serif;margin:2em}td{padding:2px 1em 2px 0;vertical-align:top}button{font-size:1.1em;margin-top:1em}</style></head>
<body><h1>Start an audit log export?</h1>
<p>A link asks to export the audit log below as <b>{{.Requester}}</b>. Nothing has been started yet.</p>
<table>
<tr><td>Tenant</td><td><b>{{.Tenant}}</b></td></tr>
<tr><td>From</td><td>{{.From}}</td></tr>
<tr><td>To</td><td>{{.To}}</td></tr>
{{if .Filters}}<tr><td>Content</td><td><b>{{.ScopeTitle}}</b>: only the events that match every filter below</td></tr>
{{range .Filters}}<tr><td>{{.Name}}</td><td>{{.Value}}</td></tr>
{{end}}{{else}}<tr><td>Content</td><td><b>{{.ScopeTitle}}</b>: {{.ScopeDetail}}</td></tr>
{{end}}<tr><td>Format</td><td>{{.Format}}</td></tr>
<tr><td>Time zone</td><td>{{.Timezone}}</td></tr>
<tr><td>Notify</td><td>{{if .Notify}}{{.Notify}}, when the file is ready{{else}}nobody: follow the status page for the download link{{end}}</td></tr>
</table>
<form method="post" action="{{.Action}}">
{{range .Hidden}}<input type="hidden" name="{{.Name}}" value="{{.Value}}">
{{end}}<input type="hidden" name="{{.TokenField}}" value="{{.Token}}">
<button type="submit">Start export</button>
</form>
<p style="color:#666">This confirmation is valid until {{.Expires}}.</p>
</body></html>
`))

func (e *Engine) writeConfirmPage(w http.ResponseWriter, who Identity, req Request, q url.Values, token string, expires time.Time) {
	scopeTitle, scopeDetail := scopeText(req.Scope, req.Filters)
	// The form carries the link's parameters as given, so that the POST parses to the same
	// request the token was issued for.
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	hidden := make([]nameValue, 0, len(keys))
	for _, k := range keys {
		hidden = append(hidden, nameValue{k, q.Get(k)})
	}
	const layout = "2006-01-02 15:04:05 MST"
	loc, err := time.LoadLocation(req.Timezone)
	if err != nil {
		loc = time.UTC
	}
	pageSecurityHeaders(w)
	_ = confirmPage.Execute(w, map[string]any{
		"Requester": who.Name, "Tenant": req.Tenant,
		"From": req.From.In(loc).Format(layout), "To": req.To.In(loc).Format(layout) + " (exclusive)",
		"ScopeTitle": scopeTitle, "ScopeDetail": scopeDetail, "Filters": filterList(req.Filters), "Format": req.Format, "Timezone": req.Timezone, "Notify": strings.Join(req.Notify, ", "),
		"Action": LinkPath, "Hidden": hidden, "TokenField": FormTokenField, "Token": token,
		"Expires": expires.UTC().Format("2006-01-02 15:04 MST"),
	})
}
