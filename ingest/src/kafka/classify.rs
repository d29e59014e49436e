//! Which librdkafka errors are worth waiting out.
//!
//! librdkafka retries almost everything itself; what reaches the application is mostly
//! informational ("broker disconnected", "all brokers down"). Only a handful of codes mean
//! the configuration can never work (authentication, authorisation, fatal client state),
//! and retrying those would just hide the message until the retry budget runs out.

use rdkafka::error::{KafkaError, RDKafkaErrorCode};

/// How the consumer treats an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KafkaErrorKind {
    /// No broker could be reached (connection refused, DNS, all brokers down): counts
    /// against the unreachable-broker budget.
    Transport,
    /// Transient (leader moved, coordinator loading, time-out): retried.
    Transient,
    /// Will not fix itself: wrong credentials, no authorisation, fatal client error.
    Fatal,
}

/// Classifies a librdkafka error; unknown codes count as transient because librdkafka
/// only raises fatal errors through the explicit fatal paths handled here.
pub fn kind_of(error: &KafkaError) -> KafkaErrorKind {
    match error {
        KafkaError::MessageConsumptionFatal(_) | KafkaError::ClientConfig(..) | KafkaError::ClientCreation(_) => {
            KafkaErrorKind::Fatal
        }
        KafkaError::Subscription(_) | KafkaError::Nul(_) => KafkaErrorKind::Fatal,
        other => match other.rdkafka_error_code() {
            Some(code) => kind_of_code(code),
            None => KafkaErrorKind::Transient,
        },
    }
}

pub fn kind_of_code(code: RDKafkaErrorCode) -> KafkaErrorKind {
    use RDKafkaErrorCode as C;
    match code {
        C::BrokerTransportFailure | C::Resolve | C::AllBrokersDown | C::NetworkException => KafkaErrorKind::Transport,
        C::Fatal
        | C::Authentication
        | C::SaslAuthenticationFailed
        | C::TopicAuthorizationFailed
        | C::GroupAuthorizationFailed
        | C::ClusterAuthorizationFailed
        | C::TransactionalIdAuthorizationFailed
        | C::InvalidArgument
        | C::InvalidConfig
        | C::UnsupportedSASLMechanism
        | C::UnsupportedAssignor
        | C::Fenced
        | C::InvalidTopic => KafkaErrorKind::Fatal,
        _ => KafkaErrorKind::Transient,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_failures_are_transport_and_credentials_are_fatal() {
        let consume = |code| KafkaError::MessageConsumption(code);
        assert_eq!(
            kind_of(&consume(RDKafkaErrorCode::AllBrokersDown)),
            KafkaErrorKind::Transport
        );
        assert_eq!(
            kind_of(&consume(RDKafkaErrorCode::BrokerTransportFailure)),
            KafkaErrorKind::Transport
        );
        assert_eq!(kind_of(&consume(RDKafkaErrorCode::Resolve)), KafkaErrorKind::Transport);
        assert_eq!(
            kind_of(&consume(RDKafkaErrorCode::NotCoordinator)),
            KafkaErrorKind::Transient
        );
        assert_eq!(
            kind_of(&consume(RDKafkaErrorCode::OperationTimedOut)),
            KafkaErrorKind::Transient
        );
        assert_eq!(
            kind_of(&consume(RDKafkaErrorCode::SaslAuthenticationFailed)),
            KafkaErrorKind::Fatal
        );
        assert_eq!(
            kind_of(&consume(RDKafkaErrorCode::TopicAuthorizationFailed)),
            KafkaErrorKind::Fatal
        );
        assert_eq!(
            kind_of(&KafkaError::MessageConsumptionFatal(
                RDKafkaErrorCode::OperationTimedOut
            )),
            KafkaErrorKind::Fatal,
            "librdkafka's own fatal flag wins over the code"
        );
    }
}
