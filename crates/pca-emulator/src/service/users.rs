//! The users group: Add CA User, Delete CA User.

use super::*;

impl Service {
    pub(super) fn add_user(&self, tag: &str, body: &Body) -> Result<Value, ServiceError> {
        let Some(id) = body.text("idNo")? else {
            return err(ServiceCode::EmptyIdNo, "idNo is missing");
        };
        let id = IdNo::new(&id)
            .map_err(|e| ServiceError::new(ServiceCode::InvaildIdNo, e.to_string()))?
            .as_str()
            .to_owned();
        let mut st = self.lock();
        let ca = find_mut(&mut st, tag)?;
        if ca.record.users.iter().any(|u| u.id_no == id) {
            return err(
                ServiceCode::InvalidUser,
                "the user already has rights on this CA",
            );
        }
        let digits: String = id
            .bytes()
            .filter(u8::is_ascii_digit)
            .take(7)
            .map(char::from)
            .collect();
        ca.dirty.users = true;
        ca.record.users.push(UserRecord {
            login_id: format!("user-{}", &id[..8]),
            mbr_no: if digits.is_empty() {
                "0".to_owned()
            } else {
                digits
            },
            id_no: id,
        });
        self.commit(st)?;
        Ok(Value::Null)
    }

    pub(super) fn delete_user(&self, tag: &str, raw_id: &str) -> Result<Value, ServiceError> {
        let id = decode_segment(raw_id).unwrap_or_default();
        let id = IdNo::new(&id)
            .map_err(|e| ServiceError::new(ServiceCode::InvaildIdNo, e.to_string()))?
            .as_str()
            .to_owned();
        let mut st = self.lock();
        let ca = find_mut(&mut st, tag)?;
        let before = ca.record.users.len();
        ca.record.users.retain(|u| u.id_no != id);
        ca.dirty.users = true;
        if ca.record.users.len() == before {
            return err(ServiceCode::NotFound, "the user has no rights on this CA");
        }
        self.commit(st)?;
        Ok(Value::Null)
    }
}
