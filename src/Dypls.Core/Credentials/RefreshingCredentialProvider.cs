using System;
using System.Diagnostics.CodeAnalysis;
using System.Threading;
using System.Threading.Tasks;

namespace Dypls.Credentials
{
    /// <summary>
    /// A provider of temporary credentials (ECS role, STS sessions, credentials URI, external process). Caches the
    /// credential until shortly before it expires; concurrent callers share one fetch (single flight); a failed fetch
    /// is remembered for a few seconds so that thousands of rows never pay a source's timeouts one after another.
    /// When a refresh fails while the old credential still works, the old one is served and the refresh tried again later.
    /// </summary>
    [SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "Providers are shared for the life of the process (one session per identity); _gate is only awaited, so SemaphoreSlim never creates an OS handle.")]
    internal abstract class RefreshingCredentialProvider : ICredentialProvider
    {
        // Refresh when less than max(3 min, 10% of the lifetime) is left, but never later than half-way through a
        // short session: 3 min covers clock skew and a slow call made with the credential; the half-way cap keeps
        // sessions of a few seconds (tests, strict policies) usable.
        private static readonly TimeSpan MinRefreshMargin = TimeSpan.FromMinutes(3);

        // After a failed refresh while the old credential still works, wait this long (at most half the time left).
        private static readonly TimeSpan RetryAfterFailedRefresh = TimeSpan.FromSeconds(30);

        private readonly SemaphoreSlim _gate = new SemaphoreSlim(1, 1);
        private volatile CachedCredential? _cached;
        private CredentialException? _failure;   // guarded by _gate
        private DateTimeOffset _failureUntil;    // guarded by _gate
        private int _fetches;

        /// <param name="clock">Current time; null means DateTimeOffset.UtcNow.</param>
        protected RefreshingCredentialProvider(Func<DateTimeOffset>? clock)
        {
            Clock = clock ?? (() => DateTimeOffset.UtcNow);
        }

        /// <summary>Human-readable source, safe to log (never contains a secret).</summary>
        public abstract string Description { get; }

        /// <summary>How long a failed fetch is answered from memory instead of asking the source again.</summary>
        public static TimeSpan FailureCacheTime { get; } = TimeSpan.FromSeconds(5);

        /// <summary>How often a credential without an Expiration (an External command printing an AccessKey) is fetched again.</summary>
        protected virtual TimeSpan RefreshWithoutExpiration => TimeSpan.FromMinutes(15);

        /// <summary>Fetches started so far (tests and -Debug).</summary>
        public int Fetches => Volatile.Read(ref _fetches);

        protected Func<DateTimeOffset> Clock { get; }

        /// <summary>
        /// Gets a fresh credential from the source. Failures of the source are <see cref="CredentialException"/>s
        /// (normally <see cref="CredentialErrorIds.CredentialSourceFailed"/>); the caller's cancellation stays an
        /// <see cref="OperationCanceledException"/> and is never remembered.
        /// </summary>
        protected abstract Task<AccessKeyCredential> FetchAsync(CancellationToken cancellationToken);

        public async Task<AccessKeyCredential> GetCredentialAsync(CancellationToken cancellationToken)
        {
            var cached = _cached;
            if (cached != null && Clock() < cached.RefreshAt) return cached.Credential;

            await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                // Someone else may have refreshed while we waited: one fetch serves all waiters.
                cached = _cached;
                var now = Clock();
                if (cached != null && now < cached.RefreshAt) return cached.Credential;
                if (_failure != null && now < _failureUntil)
                {
                    // A fresh exception object per caller: one instance thrown on many threads would mix stack traces.
                    throw new CredentialException(_failure.ErrorId, _failure.Message);
                }

                try
                {
                    Interlocked.Increment(ref _fetches);
                    var fresh = await FetchAsync(cancellationToken).ConfigureAwait(false);
                    _failure = null;
                    _cached = new CachedCredential(fresh, RefreshAt(fresh, Clock()));
                    return fresh;
                }
                catch (CredentialException ex)
                {
                    now = Clock();
                    if (cached != null && cached.Credential.Expiration is DateTimeOffset expiration && now < expiration)
                    {
                        // The old credential still works: keep serving it and retry a little later.
                        var wait = TimeSpan.FromTicks(Math.Min(RetryAfterFailedRefresh.Ticks, (expiration - now).Ticks / 2));
                        _cached = new CachedCredential(cached.Credential, now + wait);
                        return cached.Credential;
                    }
                    _failure = ex;
                    _failureUntil = now + FailureCacheTime;
                    throw;
                }
            }
            finally
            {
                _gate.Release();
            }
        }

        /// <summary>When a credential fetched at <paramref name="now"/> should be replaced.</summary>
        internal DateTimeOffset RefreshAt(AccessKeyCredential credential, DateTimeOffset now)
        {
            if (credential.Expiration is not DateTimeOffset expiration) return now + RefreshWithoutExpiration;
            return RefreshTime(expiration, now);
        }

        /// <summary>max(3 min, 10% of the lifetime) before expiry, but no later than half-way through the lifetime.</summary>
        public static DateTimeOffset RefreshTime(DateTimeOffset expiration, DateTimeOffset now)
        {
            var lifetime = expiration - now;
            if (lifetime <= TimeSpan.Zero) return now;
            var margin = Math.Max(MinRefreshMargin.Ticks, lifetime.Ticks / 10);
            margin = Math.Min(margin, lifetime.Ticks / 2);
            return expiration - TimeSpan.FromTicks(margin);
        }

        public override string ToString() => Description;

        private sealed class CachedCredential
        {
            public CachedCredential(AccessKeyCredential credential, DateTimeOffset refreshAt)
            {
                Credential = credential;
                RefreshAt = refreshAt;
            }

            public AccessKeyCredential Credential { get; }
            public DateTimeOffset RefreshAt { get; }
        }
    }
}
