package bucket

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"cloud.google.com/go/storage"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	azblobblob "github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"gocloud.dev/blob"
	"gocloud.dev/blob/azureblob"
	"gocloud.dev/blob/gcsblob"
	"gocloud.dev/blob/s3blob"
	"gocloud.dev/gcerrors"
	"gocloud.dev/gcp"
	"google.golang.org/api/option"
)

// envDestinationPassword is where a static key's secret may come from instead of the
// OS keyring (secrets.EnvDestinationPassword; named here to keep this package's imports
// to the stores').
const envDestinationPassword = "SECODA_DESTINATION_PASSWORD"

// Retries: each SDK retries 5xx answers and throttling with exponential back-off and
// jitter; these bound how often and how long.
const (
	retryAttempts = 6
	retryMaxDelay = 5 * time.Second
)

// EnvSecrets are the environment variables of the clouds' credential chains that hold
// a secret, for the redactor.
var EnvSecrets = []string{"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AZURE_STORAGE_KEY", "AZURE_STORAGE_SAS_TOKEN",
	"AZURE_STORAGE_CONNECTION_STRING", "AZURE_CLIENT_SECRET"}

// SecretsIn returns the secret parts of an environment value: the value, and the
// AccountKey and SharedAccessSignature of an Azure connection string.
func SecretsIn(value string) []string {
	out := []string{value}
	for _, part := range strings.Split(value, ";") {
		k, v, ok := strings.Cut(part, "=")
		if ok && (strings.EqualFold(k, "AccountKey") || strings.EqualFold(k, "SharedAccessSignature")) {
			out = append(out, v)
		}
	}
	return out
}

func openS3(ctx context.Context, cfg *Config) (opened, error) {
	opts := []func(*awsconfig.LoadOptions) error{
		awsconfig.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts, o.MaxBackoff = retryAttempts, retryMaxDelay
			})
		}),
	}
	if cfg.Region != "" {
		opts = append(opts, awsconfig.WithRegion(cfg.Region))
	}
	cred := "the AWS credential chain (environment, profile, web identity, instance role)"
	if cfg.AccessKeyID != "" && cfg.Secret == "" {
		return opened{}, fmt.Errorf("no secret is kept for the key %s that [destination] aws_access_key_id names: run `secoda-workbench secrets set --destination` "+
			"in a terminal, or set %s; or remove aws_access_key_id to use the AWS credential chain", cfg.AccessKeyID, envDestinationPassword)
	}
	if cfg.AccessKeyID != "" && cfg.Secret != "" {
		opts = append(opts, awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(cfg.AccessKeyID, cfg.Secret, "")))
		cred = "static key " + cfg.AccessKeyID
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return opened{}, fmt.Errorf("reading the AWS configuration: %w", err)
	}
	if awsCfg.Region == "" {
		awsCfg.Region = "us-east-1" // S3-compatible stores take any
	}
	client := s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		if cfg.EndpointURL != "" {
			o.BaseEndpoint = aws.String(cfg.EndpointURL)
			o.UsePathStyle = true
		}
		// S3-compatible stores do not all take the newer default checksums.
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	})
	b, err := s3blob.OpenBucket(ctx, client, cfg.Location.Bucket, &s3blob.Options{RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired})
	return opened{bucket: b, credentials: cred}, err
}

// s3Credentials retrieves the S3 client's credentials and names their source.
func s3Credentials(ctx context.Context, b *blob.Bucket) (string, error) {
	var client *s3.Client
	if !b.As(&client) {
		return "", errors.New("not an S3 bucket")
	}
	c, err := client.Options().Credentials.Retrieve(ctx)
	if err != nil {
		return "", fmt.Errorf("no AWS credentials found: set aws_access_key_id in [destination] and keep the secret key with "+
			"`secoda-workbench secrets set --destination`, or give the AWS chain a key (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, "+
			"a web identity or an instance role) (%v)", err)
	}
	return fmt.Sprintf("AWS key %s (%s)", maskID(c.AccessKeyID), c.Source), nil
}

// maskID shows an access key id by its first and last four characters.
func maskID(id string) string {
	if len(id) <= 8 {
		return id
	}
	return id[:4] + "…" + id[len(id)-4:]
}

func openGCS(ctx context.Context, cfg *Config) (opened, error) {
	var (
		client *gcp.HTTPClient
		opts   gcsblob.Options
		cred   string
	)
	endpoint := cfg.EndpointURL
	if endpoint == "" && cfg.getenv("STORAGE_EMULATOR_HOST") != "" {
		endpoint = cfg.getenv("STORAGE_EMULATOR_HOST")
		if !strings.Contains(endpoint, "://") {
			endpoint = "http://" + endpoint
		}
	}
	if endpoint != "" {
		// An emulator (fake-gcs-server) or a private endpoint: no Google credentials.
		client = gcp.NewAnonymousHTTPClient(gcp.DefaultTransport())
		u, err := url.JoinPath(endpoint, "storage/v1/")
		if err != nil {
			return opened{}, fmt.Errorf("endpoint_url %q: %w", endpoint, err)
		}
		opts.ClientOptions = []option.ClientOption{option.WithEndpoint(u)}
		cred = "none (the endpoint " + endpoint + " takes anonymous requests)"
	} else {
		creds, err := gcp.DefaultCredentials(ctx)
		if err != nil {
			return opened{}, fmt.Errorf("no Google credentials found: run `gcloud auth application-default login`, or set GOOGLE_APPLICATION_CREDENTIALS "+
				"to a service account's key file, or run where a service account is attached (%v)", err)
		}
		client, err = gcp.NewHTTPClient(gcp.DefaultTransport(), gcp.CredentialsTokenSource(creds))
		if err != nil {
			return opened{}, err
		}
		cred = "Google application default credentials"
		if creds.ProjectID != "" {
			cred += " (project " + creds.ProjectID + ")"
		}
	}
	b, err := gcsblob.OpenBucket(ctx, client, cfg.Location.Bucket, &opts)
	return opened{bucket: b, credentials: cred}, err
}

func openAzure(ctx context.Context, cfg *Config) (opened, error) {
	opts := &container.ClientOptions{ClientOptions: policy.ClientOptions{
		Retry: policy.RetryOptions{MaxRetries: retryAttempts - 1, RetryDelay: 200 * time.Millisecond, MaxRetryDelay: retryMaxDelay},
	}}
	name := cfg.Location.Bucket
	service := cfg.EndpointURL
	if service == "" && cfg.AccountName != "" {
		service = "https://" + cfg.AccountName + ".blob.core.windows.net/"
	}
	var (
		client *container.Client
		err    error
		cred   string
	)
	conn := cfg.getenv("AZURE_STORAGE_CONNECTION_STRING")
	switch {
	case cfg.AccountName != "" && cfg.Secret != "":
		var key *azblob.SharedKeyCredential
		if key, err = azblob.NewSharedKeyCredential(cfg.AccountName, cfg.Secret); err != nil {
			return opened{}, fmt.Errorf("the account key for %s does not decode (%v): keep it again with `secoda-workbench secrets set --destination`", cfg.AccountName, err)
		}
		var u string
		if u, err = url.JoinPath(service, name); err == nil {
			client, err = container.NewClientWithSharedKeyCredential(u, key, opts)
		}
		cred = "the account key of " + cfg.AccountName
	case conn != "":
		client, err = container.NewClientFromConnectionString(conn, name, opts)
		cred = "the connection string in AZURE_STORAGE_CONNECTION_STRING"
	case service == "":
		return opened{}, errors.New("Azure needs the storage account: set account_name in [destination], or AZURE_STORAGE_CONNECTION_STRING in the environment")
	default:
		var dc *azidentity.DefaultAzureCredential
		if dc, err = azidentity.NewDefaultAzureCredential(nil); err != nil {
			return opened{}, fmt.Errorf("no Azure credentials found: `az login`, a managed identity, AZURE_CLIENT_ID with AZURE_CLIENT_SECRET, "+
				"or keep the account key with `secoda-workbench secrets set --destination` (%v)", err)
		}
		var u string
		if u, err = url.JoinPath(service, name); err == nil {
			client, err = container.NewClient(u, dc, opts)
		}
		cred = "DefaultAzureCredential for " + cfg.AccountName
	}
	if err != nil {
		return opened{}, fmt.Errorf("opening the Azure container %s: %w", name, err)
	}
	b, err := azureblob.OpenBucket(ctx, client, nil)
	return opened{bucket: b, credentials: cred}, err
}

// listETag is a listed object's ETag, from the store's own listing.
func listETag(o *blob.ListObject) string {
	var s3o s3types.Object
	if o.As(&s3o) {
		return strings.Trim(aws.ToString(s3o.ETag), `"`)
	}
	var g storage.ObjectAttrs
	if o.As(&g) {
		return g.Etag
	}
	var az container.BlobItem
	if o.As(&az) && az.Properties != nil && az.Properties.ETag != nil {
		return strings.Trim(string(*az.Properties.ETag), `"`)
	}
	return ""
}

// readerETag is the ETag of what a reader read, where the store says (GCS's reader
// gives the generation instead: "").
func readerETag(r *blob.Reader) string {
	var s3o s3.GetObjectOutput
	if r.As(&s3o) {
		return strings.Trim(aws.ToString(s3o.ETag), `"`)
	}
	var az azblobblob.DownloadStreamResponse
	if r.As(&az) && az.ETag != nil {
		return strings.Trim(string(*az.ETag), `"`)
	}
	return ""
}

// retryWrites lets GCS retry a write that has no precondition (it retries only
// idempotent ones by default): each object is written whole, under a name of its own.
func (s *Store) retryWrites(as func(any) bool) error {
	var h **storage.ObjectHandle
	if as(&h) {
		*h = (*h).Retryer(storage.WithPolicy(storage.RetryAlways), storage.WithMaxAttempts(retryAttempts))
	}
	return nil
}

// Explain turns a store's error into one that says what went wrong and what to do;
// action says what was being done ("write _dlt_loads/….parquet").
func (s *Store) Explain(err error, action string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	loc := s.cfg.Location.String()
	code := gcerrorsCode(err)
	var what string
	switch {
	case code == codeThrottled:
		what = fmt.Sprintf("the store kept asking to slow down after %d tries: run again later, or ask the store's owner for a higher request rate", retryAttempts)
	case code == codeUnavailable:
		what = fmt.Sprintf("the store kept failing after %d tries: check that it is up (and endpoint_url, if set), then run again", retryAttempts)
	case code == codeNoBucket:
		what = fmt.Sprintf("the bucket %s does not exist: create it, or fix bucket_url in [destination]", s.cfg.Location.Bucket)
	case code == codeBadCredentials:
		what = "the store refused the credentials: " + s.credentialHint()
	case code == codeDenied:
		what = "the credentials may not do this: give them read, write, list and delete on " + loc + " (" + s.credentialHint() + ")"
	default:
		what = "check bucket_url and endpoint_url in [destination], and the store's health"
	}
	return &Error{Action: action, Location: loc, What: what, Err: err}
}

func (s *Store) credentialHint() string {
	switch s.cfg.Location.Scheme {
	case S3:
		if s.cfg.AccessKeyID != "" {
			return "check aws_access_key_id in [destination] and keep its secret again with `secoda-workbench secrets set --destination`"
		}
		return "check the AWS credentials the chain found (`secoda-workbench secrets status` names them)"
	case GCS:
		return "check the Google application default credentials (`gcloud auth application-default login`)"
	default:
		if s.cfg.AccountName != "" && s.cfg.Secret != "" {
			return "keep the account key again with `secoda-workbench secrets set --destination`"
		}
		return "check AZURE_STORAGE_CONNECTION_STRING or the Azure login (`az login`)"
	}
}

// Error is a store's error with what to do about it.
type Error struct {
	Action, Location, What string
	Err                    error
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s: could not %s: %s (%v)", e.Location, e.Action, e.What, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// The kinds of error Explain tells apart.
const (
	codeOther = iota
	codeThrottled
	codeUnavailable
	codeNoBucket
	codeBadCredentials
	codeDenied
	codePrecondition
	codeNotFound
)

// gcerrorsCode reads the store's own error code where gocloud's is too coarse.
func gcerrorsCode(err error) int {
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "SlowDown", "Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequests", "TooManyRequestsException":
			return codeThrottled
		case "NoSuchBucket":
			return codeNoBucket
		case "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken", "AuthorizationHeaderMalformed":
			return codeBadCredentials
		case "AccessDenied", "Forbidden", "AllAccessDisabled":
			return codeDenied
		case "PreconditionFailed", "ConditionalRequestConflict":
			return codePrecondition
		case "NoSuchKey", "NotFound":
			return codeNotFound
		case "InternalError", "ServiceUnavailable", "InternalServerError", "BadGateway", "GatewayTimeout":
			return codeUnavailable
		}
	}
	var az *azcore.ResponseError
	if errors.As(err, &az) {
		switch {
		case az.ErrorCode == "ContainerNotFound":
			return codeNoBucket
		case az.ErrorCode == "AuthenticationFailed" || az.ErrorCode == "InvalidAuthenticationInfo":
			return codeBadCredentials
		case strings.HasPrefix(az.ErrorCode, "AuthorizationPermission") || az.ErrorCode == "AuthorizationFailure" || az.StatusCode == 403:
			return codeDenied
		case az.ErrorCode == "ServerBusy" || az.StatusCode == 429:
			return codeThrottled
		case az.StatusCode == 412 || az.ErrorCode == "BlobAlreadyExists":
			return codePrecondition
		case az.StatusCode == 404:
			return codeNotFound
		case az.StatusCode >= 500:
			return codeUnavailable
		}
	}
	switch gcerrors.Code(err) {
	case gcerrors.FailedPrecondition, gcerrors.AlreadyExists:
		return codePrecondition
	case gcerrors.NotFound:
		if strings.Contains(err.Error(), "bucket") {
			return codeNoBucket
		}
		return codeNotFound
	case gcerrors.ResourceExhausted:
		return codeThrottled
	case gcerrors.PermissionDenied:
		return codeDenied
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "get credentials:") || strings.Contains(msg, "failed to refresh cached credentials"):
		return codeBadCredentials
	case strings.Contains(msg, "storage: bucket doesn't exist") || strings.Contains(msg, "notFound") && strings.Contains(msg, "bucket"):
		return codeNoBucket
	case strings.Contains(msg, "Error 429") || strings.Contains(msg, "rateLimitExceeded"):
		return codeThrottled
	case strings.Contains(msg, "Error 401"):
		return codeBadCredentials
	case strings.Contains(msg, "Error 403"):
		return codeDenied
	case strings.Contains(msg, "Error 412") || strings.Contains(msg, "conditionNotMet"):
		return codePrecondition
	case strings.Contains(msg, "Error 50"):
		return codeUnavailable
	}
	return codeOther
}
