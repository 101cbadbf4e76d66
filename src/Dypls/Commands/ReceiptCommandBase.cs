using System;
using System.Management.Automation;
using Dypls.Receipts;

namespace Dypls.Commands
{
    /// <summary>
    /// What the receipt cmdlets share: the queue service endpoint, and a queue client whose token comes from Dybaseapi
    /// (QueryTokenForMnsQueue, signed with the caller's credentials and the common parameters).
    /// </summary>
    public abstract class ReceiptCommandBase : DyplsApiCommandBase
    {
        public static readonly Uri DefaultDybaseapiEndpoint = new Uri("https://dybaseapi.aliyuncs.com/");
        public static readonly Uri DefaultQueueEndpoint = new Uri("https://1943695596114318.mns.cn-hangzhou.aliyuncs.com/");

        /// <summary>The queue service (MNS) endpoint; https, or http on a loopback host (the emulator).</summary>
        [Parameter]
        [ValidateNotNull]
        public Uri? QueueEndpoint { get; set; }

        /// <summary>A client of <paramref name="queueName"/> with its own token source; a bad -QueueEndpoint ends the command.</summary>
        private protected MnsQueueClient OpenQueue(string queueName, string messageType, out MnsTokenSource tokens)
        {
            var client = CreateClient(DefaultDybaseapiEndpoint, "Dybaseapi", "dybaseapi:QueryTokenForMnsQueue");
            tokens = new MnsTokenSource(client, messageType, queueName);
            try
            {
                return new MnsQueueClient(QueueEndpoint ?? DefaultQueueEndpoint, queueName, tokens, Http.SharedHttpClient.Get(TimeSpan.FromSeconds(ConnectTimeoutSec)),
                    TimeSpan.FromSeconds(TimeoutSec), MaxAttempts);
            }
            catch (DyplsException ex)
            {
                ThrowTerminatingError(Record(ex, QueueEndpoint));
                throw; // not reached
            }
        }
    }
}
