namespace Dypls.Emulator;

/// <summary>Counters for tests to assert on (retries, streaming, concurrency). Updated with Interlocked.</summary>
public sealed class EmulatorStats
{
    private long _apiRequests, _apiSucceeded, _signatureFailures, _authFailures, _throttled;
    private long _downloadRequests, _rangeRequests, _downloadBytes, _expiredDownloads;
    private long _currentRequests, _maxConcurrentRequests, _metadataRequests, _cutDownloads;
    private long _faultsInjected, _ramDenied, _ifRangeIgnored, _objectHookRequests, _unroutedRequests;
    private long _interruptedDownloadBytes, _proxyConnectRequests;
    private long _currentDownloads, _maxConcurrentDownloads;
    private string? _lastProxyConnectTarget;
    private long _stsRequests, _stsIssued, _stsAssumeRole, _stsAssumeRoleWithOidc, _stsFailures, _credentialsUriRequests;
    private long _mnsRequests, _mnsReceives, _mnsMessagesReceived, _mnsDeletes, _mnsDeleteRequests, _mnsChangeVisibility, _mnsRedeliveries;
    private long _mnsTokens, _mnsSignatureFailures, _callTimeMismatches, _mnsDeletesBeforeServed;
    private readonly long[] _faults = new long[Enum.GetValues<FaultKind>().Length];

    public long ApiRequests => Interlocked.Read(ref _apiRequests);
    public long ApiSucceeded => Interlocked.Read(ref _apiSucceeded);
    /// <summary>SignatureDoesNotMatch answers (not counted in <see cref="AuthFailures"/>).</summary>
    public long SignatureFailures => Interlocked.Read(ref _signatureFailures);
    /// <summary>InvalidAccessKeyId.* and InvalidSecurityToken.* answers.</summary>
    public long AuthFailures => Interlocked.Read(ref _authFailures);
    public long Throttled => Interlocked.Read(ref _throttled);
    public long DownloadRequests => Interlocked.Read(ref _downloadRequests);
    /// <summary>Downloads answered 206.</summary>
    public long RangeRequests => Interlocked.Read(ref _rangeRequests);
    /// <summary>Body bytes actually written by downloads.</summary>
    public long DownloadBytes => Interlocked.Read(ref _downloadBytes);
    public long ExpiredDownloads => Interlocked.Read(ref _expiredDownloads);
    /// <summary>Requests (of any kind) in flight now, stalled ones included.</summary>
    public long CurrentRequests => Interlocked.Read(ref _currentRequests);
    /// <summary>Highest number of requests (of any kind) in flight at once.</summary>
    public long MaxConcurrentRequests => Interlocked.Read(ref _maxConcurrentRequests);
    /// <summary>The most download requests (bucket or object hook) open at once since the last reset.</summary>
    public long MaxConcurrentDownloads => Interlocked.Read(ref _maxConcurrentDownloads);
    public long MetadataRequests => Interlocked.Read(ref _metadataRequests);
    /// <summary>Download bodies cut off on purpose (fault injection).</summary>
    public long CutDownloads => Interlocked.Read(ref _cutDownloads);

    /// <summary>STS calls (AssumeRole, AssumeRoleWithOIDC) of any outcome.</summary>
    public long StsRequests => Interlocked.Read(ref _stsRequests);
    /// <summary>Sessions issued: by AssumeRole, AssumeRoleWithOIDC and the credentials URI. A refresh is one more.</summary>
    public long StsIssued => Interlocked.Read(ref _stsIssued);
    public long StsAssumeRole => Interlocked.Read(ref _stsAssumeRole);
    public long StsAssumeRoleWithOidc => Interlocked.Read(ref _stsAssumeRoleWithOidc);
    /// <summary>STS calls answered with an error code.</summary>
    public long StsFailures => Interlocked.Read(ref _stsFailures);
    public long CredentialsUriRequests => Interlocked.Read(ref _credentialsUriRequests);

    internal void StsRequest() => Interlocked.Increment(ref _stsRequests);
    internal void StsFailure() => Interlocked.Increment(ref _stsFailures);
    internal void CredentialsUriRequest() => Interlocked.Increment(ref _credentialsUriRequests);

    internal void SessionIssued(bool oidc, bool uri = false)
    {
        Interlocked.Increment(ref _stsIssued);
        if (uri) return;
        if (oidc) Interlocked.Increment(ref _stsAssumeRoleWithOidc);
        else Interlocked.Increment(ref _stsAssumeRole);
    }

    /// <summary>Requests to the MNS queue API (/queues/...), of any outcome.</summary>
    public long MnsRequests => Interlocked.Read(ref _mnsRequests);
    /// <summary>ReceiveMessage and BatchReceiveMessage requests that passed authentication (answered with messages or MessageNotExist).</summary>
    public long MnsReceives => Interlocked.Read(ref _mnsReceives);
    /// <summary>Messages handed out by receives, redeliveries included.</summary>
    public long MnsMessagesReceived => Interlocked.Read(ref _mnsMessagesReceived);
    /// <summary>Messages deleted (by DeleteMessage or one handle of a BatchDeleteMessage).</summary>
    public long MnsDeletes => Interlocked.Read(ref _mnsDeletes);
    /// <summary>DeleteMessage and BatchDeleteMessage requests that passed authentication.</summary>
    public long MnsDeleteRequests => Interlocked.Read(ref _mnsDeleteRequests);
    /// <summary>Successful ChangeMessageVisibility calls.</summary>
    public long MnsChangeVisibility => Interlocked.Read(ref _mnsChangeVisibility);
    /// <summary>Deliveries of a message that had been delivered before (DequeueCount above 1).</summary>
    public long MnsRedeliveries => Interlocked.Read(ref _mnsRedeliveries);
    /// <summary>Tokens minted by QueryTokenForMnsQueue.</summary>
    public long MnsTokens => Interlocked.Read(ref _mnsTokens);
    /// <summary>MNS requests answered SignatureDoesNotMatch.</summary>
    public long MnsSignatureFailures => Interlocked.Read(ref _mnsSignatureFailures);
    /// <summary>QueryRecordFileDownloadUrl calls for a receipt's CallId whose CallTime was not the receipt's call_time in Beijing time.</summary>
    public long CallTimeMismatches => Interlocked.Read(ref _callTimeMismatches);
    /// <summary>Receipts deleted before their recording's bytes had all been served: a client that deletes before it has saved.</summary>
    public long MnsDeletesBeforeServed => Interlocked.Read(ref _mnsDeletesBeforeServed);

    internal void MnsRequest() => Interlocked.Increment(ref _mnsRequests);
    internal void MnsReceive() => Interlocked.Increment(ref _mnsReceives);
    internal void MnsMessageReceived(bool redelivery)
    {
        Interlocked.Increment(ref _mnsMessagesReceived);
        if (redelivery) Interlocked.Increment(ref _mnsRedeliveries);
    }
    internal void MnsDelete() => Interlocked.Increment(ref _mnsDeletes);
    internal void MnsDeleteRequest() => Interlocked.Increment(ref _mnsDeleteRequests);
    internal void MnsVisibilityChanged() => Interlocked.Increment(ref _mnsChangeVisibility);
    internal void MnsTokenIssued() => Interlocked.Increment(ref _mnsTokens);
    internal void MnsSignatureFailure() => Interlocked.Increment(ref _mnsSignatureFailures);
    internal void CallTimeMismatch() => Interlocked.Increment(ref _callTimeMismatches);
    internal void MnsDeleteBeforeServed() => Interlocked.Increment(ref _mnsDeletesBeforeServed);

    /// <summary>Authenticated calls answered 403 Forbidden.RAM (the denied identity, or the ramDenyAll switch).</summary>
    public long RamDenied => Interlocked.Read(ref _ramDenied);
    /// <summary>Downloads with Range and an If-Range that did not match: Range ignored, the whole object sent (200).</summary>
    public long IfRangeIgnored => Interlocked.Read(ref _ifRangeIgnored);
    /// <summary>Requests to the /_emulator/object/ hook (also counted in <see cref="DownloadRequests"/>).</summary>
    public long ObjectHookRequests => Interlocked.Read(ref _objectHookRequests);
    /// <summary>Requests no endpoint handles (404), such as a request meant for another host sent through this emulator as a proxy.</summary>
    public long UnroutedRequests => Interlocked.Read(ref _unroutedRequests);

    /// <summary>Body bytes of download answers cut off on purpose (cutDownloads, truncation, stalled bodies); also in <see cref="DownloadBytes"/>.
    /// A client that restarted every cut download from byte 0 would fetch these bytes again.</summary>
    public long InterruptedDownloadBytes => Interlocked.Read(ref _interruptedDownloadBytes);
    /// <summary>CONNECT requests: a client given this emulator as its proxy asked for a tunnel (refused with 403), i.e. it wanted HTTPS.</summary>
    public long ProxyConnectRequests => Interlocked.Read(ref _proxyConnectRequests);
    /// <summary>The host:port of the last CONNECT request, or null.</summary>
    public string? LastProxyConnectTarget => Volatile.Read(ref _lastProxyConnectTarget);

    internal void AddInterruptedDownloadBytes(long n) => Interlocked.Add(ref _interruptedDownloadBytes, n);
    internal void ProxyConnect(string target)
    {
        Volatile.Write(ref _lastProxyConnectTarget, target);
        Interlocked.Increment(ref _proxyConnectRequests);
    }
    internal void RamDeny() => Interlocked.Increment(ref _ramDenied);
    internal void IfRangeMismatch() => Interlocked.Increment(ref _ifRangeIgnored);
    internal void ObjectHookRequest() => Interlocked.Increment(ref _objectHookRequests);
    internal void UnroutedRequest() => Interlocked.Increment(ref _unroutedRequests);
    internal void ApiRequest() => Interlocked.Increment(ref _apiRequests);
    internal void ApiSuccess() => Interlocked.Increment(ref _apiSucceeded);
    internal void SignatureFailure() => Interlocked.Increment(ref _signatureFailures);
    internal void AuthFailure() => Interlocked.Increment(ref _authFailures);
    internal void Throttle() => Interlocked.Increment(ref _throttled);
    internal void DownloadRequest() => Interlocked.Increment(ref _downloadRequests);
    internal void RangeRequest() => Interlocked.Increment(ref _rangeRequests);
    internal void AddDownloadBytes(long n) => Interlocked.Add(ref _downloadBytes, n);
    internal void ExpiredDownload() => Interlocked.Increment(ref _expiredDownloads);
    internal void MetadataRequest() => Interlocked.Increment(ref _metadataRequests);
    /// <summary>Every injected fault: the per-kind counters plus <see cref="CutDownloads"/>.</summary>
    public long FaultsInjected => Interlocked.Read(ref _faultsInjected);

    public long Fault(FaultKind kind) => Interlocked.Read(ref _faults[(int)kind]);

    internal void CutDownload()
    {
        Interlocked.Increment(ref _cutDownloads);
        Interlocked.Increment(ref _faultsInjected);
    }

    internal void FaultInjected(FaultKind kind)
    {
        Interlocked.Increment(ref _faults[(int)kind]);
        Interlocked.Increment(ref _faultsInjected);
    }

    internal void RequestStarted() => RaiseMax(ref _maxConcurrentRequests, Interlocked.Increment(ref _currentRequests));

    internal void RequestEnded() => Interlocked.Decrement(ref _currentRequests);

    internal void DownloadStarted() => RaiseMax(ref _maxConcurrentDownloads, Interlocked.Increment(ref _currentDownloads));

    internal void DownloadEnded() => Interlocked.Decrement(ref _currentDownloads);

    /// <summary>Raises <paramref name="max"/> to <paramref name="now"/> unless another thread already raised it higher.</summary>
    private static void RaiseMax(ref long max, long now)
    {
        long seen;
        while (now > (seen = Interlocked.Read(ref max)) && Interlocked.CompareExchange(ref max, now, seen) != seen)
        {
        }
    }

    public void Reset()
    {
        Interlocked.Exchange(ref _apiRequests, 0);
        Interlocked.Exchange(ref _apiSucceeded, 0);
        Interlocked.Exchange(ref _signatureFailures, 0);
        Interlocked.Exchange(ref _authFailures, 0);
        Interlocked.Exchange(ref _throttled, 0);
        Interlocked.Exchange(ref _downloadRequests, 0);
        Interlocked.Exchange(ref _rangeRequests, 0);
        Interlocked.Exchange(ref _downloadBytes, 0);
        Interlocked.Exchange(ref _expiredDownloads, 0);
        // The reset request itself is in flight; the high-water mark restarts from what is running now.
        Interlocked.Exchange(ref _maxConcurrentRequests, Interlocked.Read(ref _currentRequests));
        Interlocked.Exchange(ref _maxConcurrentDownloads, Interlocked.Read(ref _currentDownloads));
        Interlocked.Exchange(ref _metadataRequests, 0);
        Interlocked.Exchange(ref _cutDownloads, 0);
        Interlocked.Exchange(ref _faultsInjected, 0);
        Interlocked.Exchange(ref _stsRequests, 0);
        Interlocked.Exchange(ref _stsIssued, 0);
        Interlocked.Exchange(ref _stsAssumeRole, 0);
        Interlocked.Exchange(ref _stsAssumeRoleWithOidc, 0);
        Interlocked.Exchange(ref _stsFailures, 0);
        Interlocked.Exchange(ref _credentialsUriRequests, 0);
        Interlocked.Exchange(ref _ramDenied, 0);
        Interlocked.Exchange(ref _ifRangeIgnored, 0);
        Interlocked.Exchange(ref _objectHookRequests, 0);
        Interlocked.Exchange(ref _unroutedRequests, 0);
        Interlocked.Exchange(ref _interruptedDownloadBytes, 0);
        Interlocked.Exchange(ref _proxyConnectRequests, 0);
        Volatile.Write(ref _lastProxyConnectTarget, null);
        Interlocked.Exchange(ref _mnsRequests, 0);
        Interlocked.Exchange(ref _mnsReceives, 0);
        Interlocked.Exchange(ref _mnsMessagesReceived, 0);
        Interlocked.Exchange(ref _mnsDeletes, 0);
        Interlocked.Exchange(ref _mnsDeleteRequests, 0);
        Interlocked.Exchange(ref _mnsChangeVisibility, 0);
        Interlocked.Exchange(ref _mnsRedeliveries, 0);
        Interlocked.Exchange(ref _mnsTokens, 0);
        Interlocked.Exchange(ref _mnsSignatureFailures, 0);
        Interlocked.Exchange(ref _callTimeMismatches, 0);
        Interlocked.Exchange(ref _mnsDeletesBeforeServed, 0);
        for (var i = 0; i < _faults.Length; i++)
        {
            Interlocked.Exchange(ref _faults[i], 0);
        }
    }

    public StatsSnapshot Snapshot() => new(ApiRequests, ApiSucceeded, SignatureFailures, AuthFailures, Throttled,
        DownloadRequests, RangeRequests, DownloadBytes, ExpiredDownloads, MaxConcurrentRequests, MaxConcurrentDownloads, MetadataRequests, CutDownloads,
        FaultsInjected, Fault(FaultKind.Api5xx), Fault(FaultKind.ApiThrottle), Fault(FaultKind.ApiSystemError), Fault(FaultKind.ApiReset),
        Fault(FaultKind.ApiStall), Fault(FaultKind.Download5xx), Fault(FaultKind.DownloadTruncate), Fault(FaultKind.DownloadStall),
        Fault(FaultKind.DownloadExpired), Fault(FaultKind.ApiEndlessError), Fault(FaultKind.DownloadEndless403),
        Fault(FaultKind.DownloadHeaderStall), Fault(FaultKind.DownloadCorrupt), RamDenied, IfRangeIgnored, ObjectHookRequests, UnroutedRequests,
        InterruptedDownloadBytes, ProxyConnectRequests, LastProxyConnectTarget,
        StsRequests, StsIssued, StsAssumeRole, StsAssumeRoleWithOidc, StsFailures, CredentialsUriRequests,
        MnsRequests, MnsReceives, MnsMessagesReceived, MnsDeletes, MnsDeleteRequests, MnsChangeVisibility, MnsRedeliveries, MnsTokens,
        MnsSignatureFailures, CallTimeMismatches, MnsDeletesBeforeServed,
        Fault(FaultKind.Mns5xx), Fault(FaultKind.MnsReset), Fault(FaultKind.MnsSlow));
}
