using System;
using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.IO;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using Dypls.Http;

namespace Dypls.Downloads
{
    internal enum TransferKind
    {
        /// <summary>200: the whole object, from byte 0.</summary>
        Whole,

        /// <summary>206: the rest of the object, from the offset asked for.</summary>
        Rest,

        /// <summary>416 on a resume: nothing is left to send; the saved bytes may already be the whole object.</summary>
        NothingLeft,
    }
}
